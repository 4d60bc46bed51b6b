#include "TusApi.hpp"

#include "BlobDigest.hpp"
#include "ServerApi.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>

namespace verdant::client {

using shared::Error;
using shared::ErrorCode;

namespace {

constexpr const char* kTusVersion = "1.0.0";
constexpr const char* kOffsetStream = "application/offset+octet-stream";

/// A header's unsigned number; throws AnswerLost when it is missing or not a number (an answer
/// garbled on the way: the request may have been acted on, so the caller asks again).
std::uint64_t numberHeader(const HttpResponse& response, std::string_view name) {
    const auto value = TusApi::header(response, name);
    if (value && !value->empty() && std::all_of(value->begin(), value->end(), [](unsigned char c) {
            return std::isdigit(c);
        })) {
        try {
            return std::stoull(*value);
        } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): reported below
        }
    }
    throw AnswerLost("The server's answer lacks a readable " + std::string(name) + " header.");
}

/// The path of a Location header: "/v1/uploads/x" as given, or the path of an absolute URL.
std::string pathOf(const std::string& location) {
    const auto scheme = location.find("://");
    if (scheme == std::string::npos) {
        return location;
    }
    const auto slash = location.find('/', scheme + 3);
    return slash == std::string::npos ? "/" : location.substr(slash);
}

/// Throws the error of a non-2xx answer: the server's error body when it has one, else the
/// code its status means for photo requests (HEAD answers carry no body).
[[noreturn]] void fail(const HttpResponse& response, ErrorCode notFound) {
    if (response.body.empty()) {
        switch (response.status) {
            case 404:
                throw Error(notFound);
            case 410:
                throw Error(ErrorCode::UploadExpired);
            case 409:
                throw Error(ErrorCode::UploadOffsetMismatch);
            case 423:
                throw Error(ErrorCode::UploadLocked);
            case 413:
                throw Error(ErrorCode::BlobTooLarge);
            default:
                break;
        }
    }
    throwResponseError(response);
}

}  // namespace

TusApi::TusApi(std::shared_ptr<Transport> transport) : _transport(std::move(transport)) {}

std::optional<std::string> TusApi::header(const HttpResponse& response, std::string_view name) {
    for (const auto& [key, value] : response.headers) {
        if (std::equal(key.begin(), key.end(), name.begin(), name.end(),
                       [](unsigned char a, unsigned char b) {
                           return std::tolower(a) == std::tolower(b);
                       })) {
            return value;
        }
    }
    return std::nullopt;
}

HttpResponse TusApi::send(const std::string& method, const std::string& path,
                          const std::string& token, const std::string& contentType,
                          std::string_view body, std::map<std::string, std::string> headers) {
    headers.emplace("Authorization", "Bearer " + token);
    headers.emplace("Tus-Resumable", kTusVersion);
    return _transport->send(method, path, contentType, std::string(body), headers);
}

TusApi::Created TusApi::create(const std::string& token, const std::string& sha256,
                               const std::string& photoId, std::uint64_t length,
                               const std::string& mediaType) {
    const auto metadata = "sha256 " + digest::base64(sha256) + ",photo_id " +
                          digest::base64(photoId) + ",filetype " + digest::base64(mediaType);
    const auto response =
        send("POST", "/v1/uploads", token, "", "",
             {{"Upload-Length", std::to_string(length)}, {"Upload-Metadata", metadata}});
    if (response.status != 201) {
        fail(response, ErrorCode::NotFound);
    }
    const auto location = header(response, "Location");
    if (!location || location->empty()) {
        throw AnswerLost("The server's answer to an upload's creation lacks its Location.");
    }
    Created created;
    created.path = pathOf(*location);
    created.nonce = header(response, "Verdant-Proof-Nonce").value_or("");
    created.offset =
        header(response, "Upload-Offset") ? numberHeader(response, "Upload-Offset") : 0;
    return created;
}

TusApi::Possession TusApi::provePossession(const std::string& token, const std::string& path,
                                           const std::string& hmacHex) {
    const auto response = send("POST", path + "/possession", token, "application/json",
                               R"({"hmac":")" + hmacHex + R"("})");
    if (response.status != 200) {
        fail(response, ErrorCode::UploadNotFound);
    }
    try {
        Poco::JSON::Parser parser;
        const auto body = parser.parse(response.body).extract<Poco::JSON::Object::Ptr>();
        Possession answer;
        answer.deduplicated = body->optValue<bool>("deduplicated", false);
        answer.offset = body->optValue<std::uint64_t>("upload_offset", 0);
        return answer;
    } catch (const std::exception& e) {
        throw AnswerLost(std::string("The server's answer to a possession proof is garbled: ") +
                         e.what());
    }
}

std::uint64_t TusApi::offset(const std::string& token, const std::string& path) {
    const auto response = send("HEAD", path, token, "", "");
    if (response.status != 200 && response.status != 204) {
        fail(response, ErrorCode::UploadNotFound);
    }
    return numberHeader(response, "Upload-Offset");
}

std::uint64_t TusApi::patch(const std::string& token, const std::string& path, std::uint64_t offset,
                            std::string_view chunk) {
    const auto response = send("PATCH", path, token, kOffsetStream, chunk,
                               {{"Upload-Offset", std::to_string(offset)}});
    if (response.status != 204 && response.status != 200) {
        fail(response, ErrorCode::UploadNotFound);
    }
    return numberHeader(response, "Upload-Offset");
}

TusApi::Range TusApi::blobRange(const std::string& token, const std::string& sha256,
                                std::uint64_t first, std::uint64_t last) {
    const auto response = _transport->send(
        "GET", "/v1/blobs/" + sha256, "", "",
        {{"Authorization", "Bearer " + token},
         {"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)}});
    Range range;
    if (response.status == 200) {  // the whole blob (a server or proxy that ignores Range)
        range.total = response.body.size();
        range.bytes = first < response.body.size() ? response.body.substr(first, last - first + 1)
                                                   : std::string();
        return range;
    }
    if (response.status != 206) {
        fail(response, ErrorCode::NotFound);
    }
    const auto contentRange = header(response, "Content-Range").value_or("");
    const auto slash = contentRange.rfind('/');
    try {
        range.total = std::stoull(contentRange.substr(slash + 1));
    } catch (const std::exception&) {
        throw AnswerLost("The server's ranged answer lacks a readable Content-Range.");
    }
    range.bytes = response.body;
    return range;
}

}  // namespace verdant::client
