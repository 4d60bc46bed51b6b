#pragma once

#include "verdant/client/Transport.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace verdant::client {

/// The photo requests of docs/protocol.md › "Photos", each one request: tus 1.0.0 uploads
/// (creation, HEAD, PATCH) with Verdant's possession proof, and ranged blob downloads. A non-2xx
/// answer is thrown as shared::Error with the server's code (or, for a bodiless answer such as
/// HEAD's, the code its status means in the protocol); transport failures propagate as the
/// transport throws them. No retries here: the upload queue decides.
///
/// Not thread-safe beyond what the transport is.
class TusApi {
public:
    explicit TusApi(std::shared_ptr<Transport> transport);

    /// A new upload (POST /v1/uploads).
    struct Created {
        std::string path;   ///< Where it is, e.g. "/v1/uploads/abc" (from Location).
        std::string nonce;  ///< Verdant-Proof-Nonce (base64url); "" if none was sent.
        std::uint64_t offset = 0;
    };
    Created create(const std::string& token, const std::string& sha256, const std::string& photoId,
                   std::uint64_t length, const std::string& mediaType);

    /// The possession proof's answer (POST {upload}/possession).
    struct Possession {
        bool deduplicated = false;  ///< The server holds the bytes: the upload is complete.
        std::uint64_t offset = 0;   ///< The upload's offset.
    };
    Possession provePossession(const std::string& token, const std::string& path,
                               const std::string& hmacHex);

    /// The upload's offset (HEAD). Throws UploadNotFound (404) or UploadExpired (410).
    std::uint64_t offset(const std::string& token, const std::string& path);

    /// Sends `chunk` at `offset` (PATCH, without Upload-Checksum: the server keeps what arrives
    /// of a broken request); returns the new offset.
    std::uint64_t patch(const std::string& token, const std::string& path, std::uint64_t offset,
                        std::string_view chunk);

    /// Bytes [first, last] of a blob (GET /v1/blobs/{sha256} with Range).
    struct Range {
        std::string bytes;
        std::uint64_t total = 0;  ///< The blob's length (Content-Range, or the whole body's).
    };
    Range blobRange(const std::string& token, const std::string& sha256, std::uint64_t first,
                    std::uint64_t last);

    /// The value of header `name` in `response`, compared case-insensitively.
    static std::optional<std::string> header(const HttpResponse& response, std::string_view name);

private:
    HttpResponse send(const std::string& method, const std::string& path, const std::string& token,
                      const std::string& contentType, std::string_view body,
                      std::map<std::string, std::string> headers = {});

    std::shared_ptr<Transport> _transport;
};

}  // namespace verdant::client
