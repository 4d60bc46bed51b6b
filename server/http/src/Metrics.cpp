#include "verdant/server/http/Metrics.hpp"

#include <set>
#include <sstream>

namespace verdant::server {

namespace {

/// Escapes a label value: backslash, quote and newline (Prometheus text format).
std::string label(const std::string& value) {
    std::string escaped;
    for (char c : value) {
        if (c == '\\' || c == '"') {
            escaped += '\\';
            escaped += c;
        } else if (c == '\n') {
            escaped += "\\n";
        } else {
            escaped += c;
        }
    }
    return escaped;
}

}  // namespace

namespace {

/// The method as a label: the methods of HTTP, else "other", so that a client inventing methods
/// cannot grow the series without bound.
std::string methodLabel(const std::string& method) {
    static const std::set<std::string, std::less<>> kKnown = {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"};
    return kKnown.count(method) != 0 ? method : "other";
}

}  // namespace

void Metrics::recordRequest(const std::string& method, const std::string& route, int status,
                            double seconds) {
    const auto label = methodLabel(method);
    std::lock_guard lock(_mutex);
    ++_requests[{label, route, status}];
    _requestSeconds[{label, route}] += seconds;
}

void Metrics::recordPushedChanges(const std::string& outcome, std::uint64_t count) {
    std::lock_guard lock(_mutex);
    _pushed[outcome] += count;
}

void Metrics::recordPulledChanges(std::uint64_t count) {
    std::lock_guard lock(_mutex);
    _pulled += count;
}

void Metrics::setDeviceLag(const std::string& tenantId, const std::string& deviceId,
                           std::uint64_t lag) {
    std::lock_guard lock(_mutex);
    _deviceLag[{tenantId, deviceId}] = lag;
}

std::string Metrics::render() const {
    std::lock_guard lock(_mutex);
    std::ostringstream out;
    out << "# HELP verdant_http_requests_total HTTP requests by method, route and status.\n"
           "# TYPE verdant_http_requests_total counter\n";
    for (const auto& [key, count] : _requests) {
        const auto& [method, route, status] = key;
        out << "verdant_http_requests_total{method=\"" << label(method) << "\",route=\""
            << label(route) << "\",status=\"" << status << "\"} " << count << '\n';
    }
    out << "# HELP verdant_http_request_seconds_total Time spent serving requests.\n"
           "# TYPE verdant_http_request_seconds_total counter\n";
    for (const auto& [key, seconds] : _requestSeconds) {
        out << "verdant_http_request_seconds_total{method=\"" << label(std::get<0>(key))
            << "\",route=\"" << label(std::get<1>(key)) << "\"} " << seconds << '\n';
    }
    out << "# HELP verdant_sync_pushed_changes_total Changes received by push, by outcome.\n"
           "# TYPE verdant_sync_pushed_changes_total counter\n";
    for (const auto& [outcome, count] : _pushed) {
        out << "verdant_sync_pushed_changes_total{outcome=\"" << label(outcome) << "\"} " << count
            << '\n';
    }
    out << "# HELP verdant_sync_pulled_changes_total Changes sent by pull.\n"
           "# TYPE verdant_sync_pulled_changes_total counter\n"
        << "verdant_sync_pulled_changes_total " << _pulled << '\n';
    out << "# HELP verdant_sync_device_lag_changes Changes a device has not pulled yet.\n"
           "# TYPE verdant_sync_device_lag_changes gauge\n";
    for (const auto& [key, lag] : _deviceLag) {
        out << "verdant_sync_device_lag_changes{tenant=\"" << label(key.first) << "\",device=\""
            << label(key.second) << "\"} " << lag << '\n';
    }
    return out.str();
}

}  // namespace verdant::server
