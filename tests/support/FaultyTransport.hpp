#pragma once

#include "verdant/client/HttpsTransport.hpp"
#include "verdant/shared/Change.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace verdant::test {

/// Thrown by FaultyTransport to model the app's process dying at that moment. Deliberately not a
/// std::exception: it passes through the SDK's error handling as a real death would (nothing of
/// the sync is reported or committed after it), and the test then drops the Client and opens
/// the same local store again.
struct SimulatedCrash {
    std::string where;  ///< The request it died in, e.g. "POST /v1/sync/push after send".
};

/// How often each fault strikes, per request (0 to 1).
struct FaultRates {
    double cutBeforeSend = 0;    ///< The connection breaks before the request leaves.
    double loseAnswer = 0;       ///< The server handles the request; its answer never arrives.
    double truncateBody = 0;     ///< The server handles the request; its answer's body is cut.
    double expireToken = 0;      ///< The request's access token is (from now on) expired.
    double crashBeforeSend = 0;  ///< The app dies just before sending.
    double crashAfterSend = 0;   ///< The app dies after the server handled the request.
};

/// A fault a test orders for a coming request, whatever the rates say.
enum class Fault : std::uint8_t {
    CutBeforeSend,  ///< The request never leaves; the server sees nothing.
    LoseAnswer,     ///< The server handles the request; the connection breaks before the answer.
    TruncateBody,   ///< The server handles the request; the answer arrives with half its body.
};

/// What a FaultyTransport did, for the test's report.
struct FaultCounts {
    int requests = 0;
    int cutBeforeSend = 0;
    std::map<std::string, int> lostAnswers;      ///< By request kind: push, pull, refresh, other.
    std::map<std::string, int> truncatedBodies;  ///< By request kind, as lostAnswers.
    int expiredTokens = 0;
    int crashes = 0;
    int unreachable = 0;  ///< Real failures of the real transport (a killed server).
};

/// The SDK's transport seam, around the real HttpsTransport: injects the faults of a weak
/// network, at random or on order (a connection cut before a request, an answer lost or its body
/// cut short after the server applied the request, an access token that has expired, the app
/// dying) and records every change pushed, so a test can send them all again later. Follows the
/// server to a new address when it is restarted on another port. Used by one SDK client, one
/// request at a time (as the SDK does); setRates(), strikeNext(), counts() and sentChanges() may
/// be called while no request runs.
class FaultyTransport final : public client::Transport {
public:
    /// `server` tells where the server is now; `seed` seeds the fault decisions.
    FaultyTransport(std::function<client::ServerEndpoint()> server, std::uint64_t seed);

    /// Faults from now on; nullopt = none (every request is passed through untouched).
    void setRates(std::optional<FaultRates> rates);

    /// Orders `fault` for the next request of `kind` (push, pull, refresh or other); orders for
    /// one kind strike in the order given, one request each, before any random fault.
    void strikeNext(const std::string& kind, Fault fault);

    /// Orders not yet carried out, of every kind.
    std::size_t pendingStrikes() const;

    /// Sends through the real transport, or fails on purpose. Throws shared::Error
    /// (ServerUnreachable) for a cut connection, client::AnswerLost for a lost answer (as the
    /// real transport does once the whole request went out), SimulatedCrash for a death; returns
    /// a truncated body with the status and headers the server sent.
    client::HttpResponse send(const std::string& method, const std::string& path,
                              const std::string& contentType, const std::string& body,
                              const std::map<std::string, std::string>& headers) override;

    /// What was done so far.
    FaultCounts counts() const;

    /// Every change that left in a push request (whether or not its answer arrived), by device
    /// sequence; a change sent again is kept once.
    std::map<std::uint64_t, shared::Change> sentChanges() const;

private:
    bool strikes(double rate);
    std::optional<Fault> ordered(const std::string& kind);
    client::HttpResponse truncated(client::HttpResponse response, const std::string& kind,
                                   bool half);
    client::HttpsTransport& transport();
    void recordPush(const std::string& contentType, const std::string& body);
    std::map<std::string, std::string> withTokenState(
        const std::map<std::string, std::string>& headers);

    std::function<client::ServerEndpoint()> _server;
    std::mt19937_64 _random;
    std::optional<FaultRates> _rates;
    std::map<std::string, std::deque<Fault>> _orders;  ///< By request kind.
    std::string _baseUrl;
    std::unique_ptr<client::HttpsTransport> _transport;
    std::set<std::string> _expiredTokens;
    mutable std::mutex _mutex;  ///< Guards _counts and _sent.
    FaultCounts _counts;
    std::map<std::uint64_t, shared::Change> _sent;
};

}  // namespace verdant::test
