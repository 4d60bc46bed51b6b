#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace verdant::server {

/// The server's counters, rendered in the Prometheus text format (version 0.0.4) at
/// `GET /metrics`. Route labels are route patterns ("/v1/conflicts/{id}"), never raw paths, so
/// the number of series stays bounded whatever clients send.
///
/// Thread-safe: every method may be called from any worker thread.
class Metrics {
public:
    /// Counts one finished request and its duration.
    void recordRequest(const std::string& method, const std::string& route, int status,
                       double seconds);

    /// Counts changes received by push, by outcome ("applied", "duplicate", ...).
    void recordPushedChanges(const std::string& outcome, std::uint64_t count);
    /// Counts changes sent by pull.
    void recordPulledChanges(std::uint64_t count);
    /// Sets how far behind a device is: server sequence minus the device's last pulled cursor.
    void setDeviceLag(const std::string& tenantId, const std::string& deviceId, std::uint64_t lag);

    /// The exposition text.
    std::string render() const;

private:
    mutable std::mutex _mutex;
    std::map<std::tuple<std::string, std::string, int>, std::uint64_t> _requests;
    std::map<std::tuple<std::string, std::string>, double> _requestSeconds;
    std::map<std::string, std::uint64_t> _pushed;
    std::uint64_t _pulled = 0;
    std::map<std::pair<std::string, std::string>, std::uint64_t> _deviceLag;
};

}  // namespace verdant::server
