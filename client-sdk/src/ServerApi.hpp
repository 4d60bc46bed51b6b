#pragma once

#include "verdant/client/Transport.hpp"
#include "verdant/shared/SyncMessages.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace verdant::client {

/// What a sign-in or a refresh returns.
struct SessionTokens {
    std::string accessToken;
    std::string refreshToken;
    std::string userId;
    std::string username;
    std::string role;
    std::string tenantId;
};

/// Bytes moved by the requests of one sync.
struct Traffic {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
};

/// Throws the server's error body {"error": {"code", "message"}} of a non-2xx answer as
/// shared::Error; anything else (a proxy's page, an empty body) by status: 5xx, 429 and 408 as
/// ServerUnreachable (transient), 401 as Unauthenticated, the rest as InvalidRequest.
[[noreturn]] void throwResponseError(const HttpResponse& response);

/// The server's HTTP API as the SDK uses it: sign-in, refresh, sign-out, push and pull, each one
/// request. A non-2xx answer is thrown as shared::Error with the server's code and message (a
/// proxy's bare 5xx becomes ServerUnreachable, transient); transport failures propagate as the
/// transport throws them. No retries here: the caller decides.
class ServerApi {
public:
    /// Talks through `transport`; `json` picks the JSON encoding over the binary one. Binary
    /// bodies are form 2 (compact) until a server answers 415 to one: then form 1, which servers
    /// of every build read. Thread-safe as the transport is.
    ServerApi(std::shared_ptr<Transport> transport, bool json);

    SessionTokens signIn(const std::string& tenant, const std::string& username,
                         const std::string& password, const std::string& deviceId,
                         const std::string& deviceName);
    SessionTokens refresh(const std::string& refreshToken);
    void signOut(const std::string& refreshToken);
    /// Pushes a batch. A lost answer (AnswerLost) says that the changes may have arrived and
    /// that sending them again is safe.
    shared::PushResponse push(const std::string& accessToken, const shared::PushRequest& request,
                              Traffic& traffic);
    shared::PullResponse pull(const std::string& accessToken, const shared::PullRequest& request,
                              Traffic& traffic);
    /// HQ's decisions on this device's refused changes (GET /v1/quarantine): device sequence →
    /// "accepted" or "discarded", for the decided entries of `deviceId` only. Asks for that
    /// device's entries and follows the pages' `next` cursors to the last page.
    std::map<std::uint64_t, std::string> quarantineDecisions(const std::string& accessToken,
                                                             const std::string& deviceId,
                                                             Traffic& traffic);

private:
    shared::PushResponse pushOnce(const std::string& accessToken,
                                  const shared::PushRequest& request, Traffic& traffic);
    /// Posts `request` in the binary form spoken so far and decodes the answer in that form;
    /// falls back to form 1 once (for good) when the server does not know form 2.
    template <class Request, class Response>
    Response binaryExchange(const std::string& path, const std::string& accessToken,
                            const Request& request, Traffic& traffic,
                            Response (*decode)(std::string_view, shared::BinaryFormat));
    HttpResponse post(const std::string& path, const std::string& contentType,
                      const std::string& body, const std::string& accessToken, Traffic& traffic);
    HttpResponse send(const std::string& method, const std::string& path,
                      const std::string& contentType, const std::string& body,
                      const std::string& accessToken, Traffic& traffic);

    std::shared_ptr<Transport> _transport;
    bool _json;
    std::atomic<shared::BinaryFormat> _format{shared::BinaryFormat::V2};
};

}  // namespace verdant::client
