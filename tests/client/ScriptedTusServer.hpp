#pragma once

#include "verdant/client/HttpsTransport.hpp"
#include "verdant/client/Transport.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace verdant::test {

/// The server's photo endpoints (docs/protocol.md › "Photos") in memory, as a test Transport:
/// tus creation, HEAD, PATCH (keeping the bytes of a request cut mid-body, as the real server
/// does), the possession proof, the hash check at the end, and ranged blob downloads. Every other
/// request goes on to the real server (sign-in, push, pull). Counts what it received, and can
/// cut a request, refuse media, or spoil an upload on purpose. Thread-safe.
class ScriptedTusServer final : public client::Transport {
public:
    explicit ScriptedTusServer(const client::ServerEndpoint& real);

    client::HttpResponse send(const std::string& method, const std::string& path,
                              const std::string& contentType, const std::string& body,
                              const std::map<std::string, std::string>& headers) override;

    /// "METHOD path" of every request, in order (photo and sync requests alike).
    std::vector<std::string> requests() const;
    /// PATCH body bytes that reached the server (kept), per photo id.
    std::uint64_t bytesArrived(const std::string& photoId) const;
    /// PATCH body bytes that reached the server, all photos.
    std::uint64_t bytesArrived() const;
    /// Blobs stored (verified), by SHA-256.
    std::map<std::string, std::string> blobs() const;
    /// Uploads created so far.
    int uploadsCreated() const;
    /// Stores a blob as another device's upload would have.
    void holdBlob(const std::string& sha256, const std::string& bytes);

    /// The next PATCH keeps only its first `keep` bytes, then the connection breaks (thrown as
    /// an unreachable server: the SDK does not learn how much arrived).
    void cutNextPatchAfter(std::uint64_t keep);
    /// The next PATCH is applied whole, then the network goes down before its answer arrives
    /// (as setOffline(true)): the server holds more than the device knows.
    void loseNextPatchAnswer();
    /// Every request fails as an unreachable server would, while set.
    void setOffline(bool offline);
    /// The next upload to complete fails its hash check (460 blob_hash_mismatch), as bytes
    /// spoiled on the way would.
    void spoilNextCompletion();
    /// The tenant's photo quota: a creation whose length, with the blobs stored and the uploads
    /// under way, exceeds it is refused (403 quota_exceeded). 0 = no quota (the default).
    void setQuotaBytes(std::uint64_t quota);

private:
    struct Upload {
        std::string sha256;
        std::string photoId;
        std::uint64_t length = 0;
        std::string bytes;
        std::string nonce;
    };

    client::HttpResponse create(const std::map<std::string, std::string>& headers);
    client::HttpResponse patch(const std::string& id, const std::string& body,
                               const std::map<std::string, std::string>& headers);
    client::HttpResponse possession(const std::string& id, const std::string& body);
    client::HttpResponse blob(const std::string& sha256,
                              const std::map<std::string, std::string>& headers);

    mutable std::mutex _mutex;
    client::HttpsTransport _real;
    std::vector<std::string> _requests;
    std::map<std::string, Upload> _uploads;
    std::map<std::string, std::string> _blobs;
    std::map<std::string, std::uint64_t> _arrived;
    int _created = 0;
    std::int64_t _cutAfter = -1;
    bool _loseAnswer = false;
    bool _offline = false;
    bool _spoil = false;
    std::uint64_t _quota = 0;
};

}  // namespace verdant::test
