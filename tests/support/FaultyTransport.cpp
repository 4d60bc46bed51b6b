#include "FaultyTransport.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/SyncMessages.hpp"

namespace verdant::test {

namespace {

using shared::ErrorCode;
using shared::SyncMessageCodec;

std::string kindOf(const std::string& path) {
    if (path == "/v1/sync/push") {
        return "push";
    }
    if (path == "/v1/sync/pull") {
        return "pull";
    }
    if (path == "/v1/auth/refresh") {
        return "refresh";
    }
    return "other";
}

/// The same token with one signature character changed: the server refuses it (401), as it
/// refuses an expired one, and the SDK refreshes its tokens either way.
std::string spoilt(std::string token) {
    const auto dot = token.rfind('.');
    const auto at = dot == std::string::npos || dot + 1 >= token.size() ? 0 : dot + 1;
    if (!token.empty()) {
        token[at] = token[at] == 'A' ? 'B' : 'A';
    }
    return token;
}

}  // namespace

FaultyTransport::FaultyTransport(std::function<client::ServerEndpoint()> server, std::uint64_t seed)
    : _server(std::move(server)), _random(seed) {}

void FaultyTransport::setRates(std::optional<FaultRates> rates) {
    _rates = rates;
}

void FaultyTransport::strikeNext(const std::string& kind, Fault fault) {
    _orders[kind].push_back(fault);
}

std::size_t FaultyTransport::pendingStrikes() const {
    std::size_t pending = 0;
    for (const auto& [kind, faults] : _orders) {
        pending += faults.size();
    }
    return pending;
}

bool FaultyTransport::strikes(double rate) {
    return _rates && std::uniform_real_distribution<double>(0, 1)(_random) < rate;
}

std::optional<Fault> FaultyTransport::ordered(const std::string& kind) {
    auto found = _orders.find(kind);
    if (found == _orders.end() || found->second.empty()) {
        return std::nullopt;
    }
    const auto fault = found->second.front();
    found->second.pop_front();
    return fault;
}

/// The answer as a connection closed mid-body leaves it: status and headers as sent, the body cut
/// at half its length (`half`) or at a random point short of its end.
client::HttpResponse FaultyTransport::truncated(client::HttpResponse response,
                                                const std::string& kind, bool half) {
    const auto size = response.body.size();
    const auto keep = half || size < 2
                          ? size / 2
                          : std::uniform_int_distribution<std::size_t>(0, size - 1)(_random);
    response.body.resize(keep);
    std::lock_guard lock(_mutex);
    ++_counts.truncatedBodies[kind];
    return response;
}

client::HttpsTransport& FaultyTransport::transport() {
    const auto endpoint = _server();
    if (!_transport || endpoint.baseUrl != _baseUrl) {
        _transport = std::make_unique<client::HttpsTransport>(endpoint);
        _baseUrl = endpoint.baseUrl;
    }
    return *_transport;
}

std::map<std::string, std::string> FaultyTransport::withTokenState(
    const std::map<std::string, std::string>& headers) {
    auto result = headers;
    const auto found = result.find("Authorization");
    if (found == result.end() || found->second.rfind("Bearer ", 0) != 0) {
        return result;
    }
    const auto token = found->second.substr(7);
    if (!_expiredTokens.count(token) && _rates && strikes(_rates->expireToken)) {
        _expiredTokens.insert(token);
        std::lock_guard lock(_mutex);
        ++_counts.expiredTokens;
    }
    if (_expiredTokens.count(token)) {
        found->second = "Bearer " + spoilt(token);
    }
    return result;
}

void FaultyTransport::recordPush(const std::string& contentType, const std::string& body) {
    const auto request =
        contentType == SyncMessageCodec::kCompactContentType
            ? SyncMessageCodec::pushRequestFromBinary(body, shared::BinaryFormat::V2)
        : contentType == SyncMessageCodec::kBinaryContentType
            ? SyncMessageCodec::pushRequestFromBinary(body)
            : SyncMessageCodec::pushRequestFromJson(body);
    std::lock_guard lock(_mutex);
    for (const auto& change : request.changes) {
        _sent.emplace(change.deviceSeq, change);
    }
}

client::HttpResponse FaultyTransport::send(const std::string& method, const std::string& path,
                                           const std::string& contentType, const std::string& body,
                                           const std::map<std::string, std::string>& headers) {
    const auto kind = kindOf(path);
    const auto where = method + " " + path;
    const auto order = ordered(kind);
    {
        std::lock_guard lock(_mutex);
        ++_counts.requests;
    }
    // A token once expired stays expired: the SDK must get new ones, not wait the fault out.
    const auto sentHeaders = withTokenState(headers);
    if (!order && _rates && strikes(_rates->crashBeforeSend)) {
        std::lock_guard lock(_mutex);
        ++_counts.crashes;
        throw SimulatedCrash{where + " before send"};
    }
    if (order ? *order == Fault::CutBeforeSend : _rates && strikes(_rates->cutBeforeSend)) {
        _transport.reset();
        std::lock_guard lock(_mutex);
        ++_counts.cutBeforeSend;
        throw shared::Error(ErrorCode::ServerUnreachable,
                            "Connection cut before " + where + " (injected)");
    }
    if (kind == "push") {
        recordPush(contentType, body);
    }
    client::HttpResponse response;
    try {
        response = transport().send(method, path, contentType, body, sentHeaders);
    } catch (const shared::Error&) {
        _transport.reset();
        std::lock_guard lock(_mutex);
        ++_counts.unreachable;
        throw;
    }
    if (!order && _rates && strikes(_rates->crashAfterSend)) {
        _transport.reset();
        std::lock_guard lock(_mutex);
        ++_counts.crashes;
        throw SimulatedCrash{where + " after send"};
    }
    if (order ? *order == Fault::LoseAnswer : _rates && strikes(_rates->loseAnswer)) {
        _transport.reset();
        std::lock_guard lock(_mutex);
        ++_counts.lostAnswers[kind];
        throw client::AnswerLost("Answer to " + where + " lost (injected): unexpected eof");
    }
    if (order ? *order == Fault::TruncateBody : _rates && strikes(_rates->truncateBody)) {
        _transport.reset();  // the connection that cut the body is gone
        return truncated(std::move(response), kind, order.has_value());
    }
    return response;
}

FaultCounts FaultyTransport::counts() const {
    std::lock_guard lock(_mutex);
    return _counts;
}

std::map<std::uint64_t, shared::Change> FaultyTransport::sentChanges() const {
    std::lock_guard lock(_mutex);
    return _sent;
}

}  // namespace verdant::test
