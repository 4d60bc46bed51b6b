#include "ScriptedTusServer.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/PossessionProof.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <openssl/evp.h>

#include <array>
#include <sstream>

namespace verdant::test {

using client::HttpResponse;

namespace {

std::string hex(const unsigned char* bytes, std::size_t size) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(kHex[bytes[i] >> 4]);
        out.push_back(kHex[bytes[i] & 0x0F]);
    }
    return out;
}

std::string sha256(const std::string& bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), out.data(), &size, EVP_sha256(), nullptr);
    return hex(out.data(), size);
}

/// The possession proof a Verdant server expects of `bytes` under `nonce`.
std::string proofOf(const std::string& nonce, const std::string& bytes) {
    return shared::proofOf(nonce, static_cast<std::int64_t>(bytes.size()),
                           [&](std::int64_t offset, std::int64_t length) {
                               return bytes.substr(static_cast<std::size_t>(offset),
                                                   static_cast<std::size_t>(length));
                           });
}

std::string base64(const std::string& bytes, int options = 0) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, options);
    encoder << bytes;
    encoder.close();
    return out.str();
}

std::string fromBase64(const std::string& text) {
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    return std::string(std::istreambuf_iterator<char>(decoder), {});
}

std::string headerOf(const std::map<std::string, std::string>& headers, const std::string& name) {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
}

HttpResponse error(int status, shared::ErrorCode code) {
    return HttpResponse{status,
                        "application/json",
                        R"({"error":{"code":")" + std::string(shared::wireName(code)) +
                            R"(","message":"scripted"}})",
                        {{"Tus-Resumable", "1.0.0"}}};
}

}  // namespace

ScriptedTusServer::ScriptedTusServer(const client::ServerEndpoint& real) : _real(real) {}

HttpResponse ScriptedTusServer::send(const std::string& method, const std::string& path,
                                     const std::string& contentType, const std::string& body,
                                     const std::map<std::string, std::string>& headers) {
    const bool photos = path.rfind("/v1/uploads", 0) == 0 || path.rfind("/v1/blobs/", 0) == 0;
    {
        std::lock_guard lock(_mutex);
        _requests.push_back(method + " " + path);
        if (_offline) {
            throw shared::Error(shared::ErrorCode::ServerUnreachable, "scripted: offline");
        }
        if (photos) {
            if (headerOf(headers, "Authorization").rfind("Bearer ", 0) != 0) {
                return error(401, shared::ErrorCode::Unauthenticated);
            }
            if (path == "/v1/uploads" && method == "POST") {
                return create(headers);
            }
            if (path.rfind("/v1/blobs/", 0) == 0 && method == "GET") {
                return blob(path.substr(10), headers);
            }
            auto id = path.substr(std::string("/v1/uploads/").size());
            const auto slash = id.find('/');
            const bool proof = slash != std::string::npos && id.substr(slash) == "/possession";
            id = id.substr(0, slash);
            const auto upload = _uploads.find(id);
            if (upload == _uploads.end()) {
                return method == "HEAD" ? HttpResponse{404, "", "", {}}
                                        : error(404, shared::ErrorCode::UploadNotFound);
            }
            if (proof && method == "POST") {
                return possession(id, body);
            }
            if (method == "HEAD") {
                return HttpResponse{200,
                                    "",
                                    "",
                                    {{"Upload-Offset", std::to_string(upload->second.bytes.size())},
                                     {"Upload-Length", std::to_string(upload->second.length)}}};
            }
            if (method == "PATCH") {
                return patch(id, body, headers);
            }
            return error(405, shared::ErrorCode::MethodNotAllowed);
        }
    }
    return _real.send(method, path, contentType, body, headers);
}

HttpResponse ScriptedTusServer::create(const std::map<std::string, std::string>& headers) {
    Upload upload;
    upload.length = std::stoull(headerOf(headers, "Upload-Length"));
    std::istringstream pairs(headerOf(headers, "Upload-Metadata"));
    std::string pair;
    while (std::getline(pairs, pair, ',')) {
        const auto space = pair.find(' ');
        const auto key = pair.substr(0, space);
        const auto value = fromBase64(pair.substr(space + 1));
        if (key == "sha256") {
            upload.sha256 = value;
        } else if (key == "photo_id") {
            upload.photoId = value;
        }
    }
    if (_quota > 0) {
        auto held = upload.length;
        for (const auto& [sha, bytes] : _blobs) {
            held += bytes.size();
        }
        for (const auto& [id, open] : _uploads) {
            held += open.bytes.size() < open.length ? open.length : 0;  // completed: a blob
        }
        if (held > _quota) {
            return error(403, shared::ErrorCode::QuotaExceeded);
        }
    }
    upload.nonce = std::string(32, '\0');
    for (std::size_t i = 0; i < upload.nonce.size(); ++i) {
        upload.nonce[i] = static_cast<char>((_created * 31 + static_cast<int>(i) * 7) & 0xFF);
    }
    const auto id = "u" + std::to_string(++_created);
    auto nonce = base64(upload.nonce, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    _uploads[id] = std::move(upload);
    return HttpResponse{201,
                        "",
                        "",
                        {{"Location", "/v1/uploads/" + id},
                         {"Upload-Offset", "0"},
                         {"Verdant-Proof-Nonce", nonce},
                         {"Tus-Resumable", "1.0.0"}}};
}

HttpResponse ScriptedTusServer::possession(const std::string& id, const std::string& body) {
    auto& upload = _uploads[id];
    Poco::JSON::Parser parser;
    const auto hmac =
        parser.parse(body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("hmac");
    const auto held = _blobs.find(upload.sha256);
    if (held != _blobs.end() && held->second.size() == upload.length &&
        proofOf(upload.nonce, held->second) == hmac) {
        const auto length = upload.length;
        _uploads.erase(id);
        return HttpResponse{
            200,
            "application/json",
            R"({"deduplicated":true,"upload_offset":)" + std::to_string(length) + "}",
            {}};
    }
    return HttpResponse{
        200,
        "application/json",
        R"({"deduplicated":false,"upload_offset":)" + std::to_string(upload.bytes.size()) + "}",
        {}};
}

HttpResponse ScriptedTusServer::patch(const std::string& id, const std::string& body,
                                      const std::map<std::string, std::string>& headers) {
    auto& upload = _uploads[id];
    if (headerOf(headers, "Upload-Offset") != std::to_string(upload.bytes.size())) {
        return error(409, shared::ErrorCode::UploadOffsetMismatch);
    }
    if (upload.bytes.empty() && body.rfind("\xFF\xD8\xFF", 0) != 0) {
        _uploads.erase(id);  // judged by the first bytes; nothing of it is kept
        return error(415, shared::ErrorCode::MediaTypeNotAllowed);
    }
    if (upload.bytes.size() + body.size() > upload.length) {
        return error(400, shared::ErrorCode::InvalidParameter);
    }
    if (_cutAfter >= 0) {
        const auto keep = std::min<std::size_t>(static_cast<std::size_t>(_cutAfter), body.size());
        _cutAfter = -1;
        upload.bytes += body.substr(0, keep);  // the bytes that arrived are kept
        _arrived[upload.photoId] += keep;
        throw client::AnswerLost("scripted: connection cut mid-body");
    }
    upload.bytes += body;
    _arrived[upload.photoId] += body.size();
    if (upload.bytes.size() == upload.length) {
        const auto spoiled = std::exchange(_spoil, false);
        if (spoiled || sha256(upload.bytes) != upload.sha256) {
            _uploads.erase(id);
            return error(460, shared::ErrorCode::BlobHashMismatch);
        }
        _blobs[upload.sha256] = upload.bytes;
    }
    const auto offset = upload.bytes.size();
    if (std::exchange(_loseAnswer, false)) {
        _offline = true;
        throw client::AnswerLost("scripted: answer lost");
    }
    return HttpResponse{204, "", "", {{"Upload-Offset", std::to_string(offset)}}};
}

HttpResponse ScriptedTusServer::blob(const std::string& sha256,
                                     const std::map<std::string, std::string>& headers) {
    const auto found = _blobs.find(sha256);
    if (found == _blobs.end()) {
        return error(404, shared::ErrorCode::NotFound);
    }
    const auto range = headerOf(headers, "Range");  // "bytes=a-b"
    const auto dash = range.find('-');
    const auto first = std::stoull(range.substr(6, dash - 6));
    auto last = std::stoull(range.substr(dash + 1));
    last = std::min<std::uint64_t>(last, found->second.size() - 1);
    return HttpResponse{
        206,
        "image/jpeg",
        found->second.substr(first, last - first + 1),
        {{"Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                               std::to_string(found->second.size())}}};
}

std::vector<std::string> ScriptedTusServer::requests() const {
    std::lock_guard lock(_mutex);
    return _requests;
}

std::uint64_t ScriptedTusServer::bytesArrived(const std::string& photoId) const {
    std::lock_guard lock(_mutex);
    const auto found = _arrived.find(photoId);
    return found == _arrived.end() ? 0 : found->second;
}

std::uint64_t ScriptedTusServer::bytesArrived() const {
    std::lock_guard lock(_mutex);
    std::uint64_t total = 0;
    for (const auto& [photo, bytes] : _arrived) {
        total += bytes;
    }
    return total;
}

std::map<std::string, std::string> ScriptedTusServer::blobs() const {
    std::lock_guard lock(_mutex);
    return _blobs;
}

int ScriptedTusServer::uploadsCreated() const {
    std::lock_guard lock(_mutex);
    return _created;
}

void ScriptedTusServer::holdBlob(const std::string& sha256, const std::string& bytes) {
    std::lock_guard lock(_mutex);
    _blobs[sha256] = bytes;
}

void ScriptedTusServer::cutNextPatchAfter(std::uint64_t keep) {
    std::lock_guard lock(_mutex);
    _cutAfter = static_cast<std::int64_t>(keep);
}

void ScriptedTusServer::loseNextPatchAnswer() {
    std::lock_guard lock(_mutex);
    _loseAnswer = true;
}

void ScriptedTusServer::setOffline(bool offline) {
    std::lock_guard lock(_mutex);
    _offline = offline;
}

void ScriptedTusServer::spoilNextCompletion() {
    std::lock_guard lock(_mutex);
    _spoil = true;
}

void ScriptedTusServer::setQuotaBytes(std::uint64_t quota) {
    std::lock_guard lock(_mutex);
    _quota = quota;
}

}  // namespace verdant::test
