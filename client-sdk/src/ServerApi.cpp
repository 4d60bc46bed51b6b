#include "ServerApi.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace verdant::client {

using shared::ErrorCode;
using shared::SyncMessageCodec;

namespace {

std::string stringify(const Poco::JSON::Object& object) {
    std::ostringstream text;
    object.stringify(text);
    return text.str();
}

}  // namespace

void throwResponseError(const HttpResponse& response) {
    try {
        Poco::JSON::Parser parser;
        const auto body = parser.parse(response.body).extract<Poco::JSON::Object::Ptr>();
        const auto error = body->getObject("error");
        if (error) {
            const auto code =
                shared::errorCodeFromWireName(error->optValue<std::string>("code", ""));
            if (code) {
                throw shared::Error(*code,
                                    error->optValue<std::string>(
                                        "message", std::string(shared::defaultMessage(*code))));
            }
        }
    } catch (const shared::Error&) {
        throw;
    } catch (const std::exception&) {
        // Not our JSON: fall through to the status.
    }
    if (response.status >= 500 || response.status == 429 || response.status == 408) {
        throw shared::Error(ErrorCode::ServerUnreachable,
                            "The server answered " + std::to_string(response.status) +
                                " without a Verdant error; it may be restarting.");
    }
    if (response.status == 401) {
        throw shared::Error(ErrorCode::Unauthenticated);
    }
    throw shared::Error(ErrorCode::InvalidRequest,
                        "The server answered " + std::to_string(response.status) + ".");
}

namespace {

/// An answer the SDK cannot read although the server sent 2xx: its body was cut short on the way
/// (or garbled). The request went out whole, so it is an answer lost, safe to repeat.
AnswerLost unreadableAnswer(const std::string& what, const HttpResponse& response,
                            const std::string& cause) {
    return AnswerLost("The server's answer to the " + what + " arrived cut short or garbled (" +
                      std::to_string(response.body.size()) + " bytes): " + cause);
}

/// `decode()` of a 2xx answer; a body it cannot read is unreadableAnswer().
template <class Decode>
auto readAnswer(const std::string& what, const HttpResponse& response, Decode&& decode) {
    try {
        return decode();
    } catch (const std::exception& e) {
        throw unreadableAnswer(what, response, e.what());
    }
}

SessionTokens tokensFrom(const HttpResponse& response) {
    try {
        Poco::JSON::Parser parser;
        const auto body = parser.parse(response.body).extract<Poco::JSON::Object::Ptr>();
        SessionTokens tokens;
        tokens.accessToken = body->getValue<std::string>("access_token");
        tokens.refreshToken = body->getValue<std::string>("refresh_token");
        const auto user = body->getObject("user");
        if (user) {
            tokens.userId = user->getValue<std::string>("id");
            tokens.username = user->optValue<std::string>("username", "");
            tokens.role = user->optValue<std::string>("role", "");
            tokens.tenantId = user->optValue<std::string>("tenant_id", "");
        }
        if (tokens.accessToken.empty() || tokens.userId.empty()) {
            throw shared::Error(ErrorCode::InvalidRequest, "The sign-in answer lacks its tokens.");
        }
        return tokens;
    } catch (const shared::Error&) {
        throw;
    } catch (const std::exception& e) {
        throw unreadableAnswer("sign-in", response, e.what());
    }
}

/// Adds the decided entries of `deviceId` on one GET /v1/quarantine page to `decisions`;
/// returns the page's `next` cursor (empty on the last page). Throws Error(InternalError) for
/// an answer that is not a quarantine page (an SDK and a server that disagree).
std::string readQuarantinePage(const std::string& body, const std::string& deviceId,
                               std::map<std::uint64_t, std::string>& decisions) {
    try {
        Poco::JSON::Parser parser;
        const auto page = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        const auto items = page->getArray("quarantine");
        for (std::size_t i = 0; items && i < items->size(); ++i) {
            const auto item = items->getObject(static_cast<unsigned>(i));
            if (!item || item->optValue<std::string>("device_id", "") != deviceId ||
                !item->get("decision").isString()) {
                continue;
            }
            decisions.emplace(item->getValue<std::uint64_t>("device_seq"),
                              item->getValue<std::string>("decision"));
        }
        const auto next = page->get("next");
        return next.isString() ? next.extract<std::string>() : std::string();
    } catch (const Poco::Exception& e) {
        throw shared::Error(
            ErrorCode::InternalError,
            "The server's quarantine list is not what this SDK expects: " + e.displayText());
    }
}

}  // namespace

ServerApi::ServerApi(std::shared_ptr<Transport> transport, bool json)
    : _transport(std::move(transport)), _json(json) {}

HttpResponse ServerApi::post(const std::string& path, const std::string& contentType,
                             const std::string& body, const std::string& accessToken,
                             Traffic& traffic) {
    return send("POST", path, contentType, body, accessToken, traffic);
}

HttpResponse ServerApi::send(const std::string& method, const std::string& path,
                             const std::string& contentType, const std::string& body,
                             const std::string& accessToken, Traffic& traffic) {
    std::map<std::string, std::string> headers;
    if (!accessToken.empty()) {
        headers.emplace("Authorization", "Bearer " + accessToken);
    }
    auto response = _transport->send(method, path, contentType, body, headers);
    traffic.sent += body.size();  // counted once it went through
    traffic.received += response.body.size();
    if (response.status < 200 || response.status >= 300) {
        throwResponseError(response);
    }
    return response;
}

SessionTokens ServerApi::signIn(const std::string& tenant, const std::string& username,
                                const std::string& password, const std::string& deviceId,
                                const std::string& deviceName) {
    Poco::JSON::Object body;
    body.set("tenant", tenant);
    body.set("username", username);
    body.set("password", password);
    body.set("device_id", deviceId);
    body.set("device_name", deviceName);
    Traffic traffic;
    return tokensFrom(post("/v1/auth/login", "application/json", stringify(body), "", traffic));
}

SessionTokens ServerApi::refresh(const std::string& refreshToken) {
    Poco::JSON::Object body;
    body.set("refresh_token", refreshToken);
    Traffic traffic;
    return tokensFrom(post("/v1/auth/refresh", "application/json", stringify(body), "", traffic));
}

void ServerApi::signOut(const std::string& refreshToken) {
    Poco::JSON::Object body;
    body.set("refresh_token", refreshToken);
    Traffic traffic;
    post("/v1/auth/logout", "application/json", stringify(body), "", traffic);
}

shared::PushResponse ServerApi::push(const std::string& accessToken,
                                     const shared::PushRequest& request, Traffic& traffic) {
    try {
        return pushOnce(accessToken, request, traffic);
    } catch (const AnswerLost& lost) {
        throw AnswerLost(
            "The answer was lost after the changes were sent; they may have reached the server "
            "and will be sent again, safely: the server applies each change once. (" +
            std::string(lost.what()) + ")");
    }
}

shared::PushResponse ServerApi::pushOnce(const std::string& accessToken,
                                         const shared::PushRequest& request, Traffic& traffic) {
    if (_json) {
        const auto response = post("/v1/sync/push", std::string(SyncMessageCodec::kJsonContentType),
                                   SyncMessageCodec::toJson(request), accessToken, traffic);
        return readAnswer("push", response,
                          [&] { return SyncMessageCodec::pushResponseFromJson(response.body); });
    }
    return binaryExchange("/v1/sync/push", accessToken, request, traffic,
                          SyncMessageCodec::pushResponseFromBinary);
}

shared::PullResponse ServerApi::pull(const std::string& accessToken,
                                     const shared::PullRequest& request, Traffic& traffic) {
    if (_json) {
        const auto response = post("/v1/sync/pull", std::string(SyncMessageCodec::kJsonContentType),
                                   SyncMessageCodec::toJson(request), accessToken, traffic);
        return readAnswer("pull", response,
                          [&] { return SyncMessageCodec::pullResponseFromJson(response.body); });
    }
    return binaryExchange("/v1/sync/pull", accessToken, request, traffic,
                          SyncMessageCodec::pullResponseFromBinary);
}

template <class Request, class Response>
Response ServerApi::binaryExchange(const std::string& path, const std::string& accessToken,
                                   const Request& request, Traffic& traffic,
                                   Response (*decode)(std::string_view, shared::BinaryFormat)) {
    const auto format = _format.load();
    try {
        const auto response =
            post(path, std::string(SyncMessageCodec::contentTypeOf(format)),
                 SyncMessageCodec::toBinary(request, format), accessToken, traffic);
        return readAnswer(path.substr(path.rfind('/') + 1), response,
                          [&] { return decode(response.body, format); });
    } catch (const shared::Error& error) {
        if (format == shared::BinaryFormat::V1 || error.code() != ErrorCode::UnsupportedMediaType) {
            throw;
        }
    }
    // A server of an earlier build knows form 1 only and refused the body unread (415): speak
    // form 1 to it from now on.
    _format = shared::BinaryFormat::V1;
    return binaryExchange(path, accessToken, request, traffic, decode);
}

std::map<std::uint64_t, std::string> ServerApi::quarantineDecisions(const std::string& accessToken,
                                                                    const std::string& deviceId,
                                                                    Traffic& traffic) {
    std::map<std::uint64_t, std::string> decisions;
    // This device's entries only, page after page (the server pages its quarantine).
    std::string next;
    do {
        std::string path = "/v1/quarantine?limit=1000&device=" + deviceId;
        if (!next.empty()) {
            path += "&after=" + next;
        }
        const auto response = send("GET", path, "", "", accessToken, traffic);
        auto following = readQuarantinePage(response.body, deviceId, decisions);
        if (!following.empty() && following == next) {
            throw shared::Error(ErrorCode::InternalError,
                                "The server's quarantine pages do not advance.");
        }
        next = std::move(following);
    } while (!next.empty());
    return decisions;
}

}  // namespace verdant::client
