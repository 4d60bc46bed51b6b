#include "ApiSession.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/JSON/Parser.h>

#include <sstream>
#include <stdexcept>
#include <thread>

namespace verdant::test {

namespace {

Poco::JSON::Object::Ptr parseObject(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text.empty() ? "{}" : text).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

ApiSession::ApiSession(std::function<client::ServerEndpoint()> server, std::string tenant,
                       std::string username, std::string password,
                       std::optional<std::string> deviceId)
    : _server(std::move(server)),
      _tenant(std::move(tenant)),
      _username(std::move(username)),
      _password(std::move(password)),
      _deviceId(std::move(deviceId)) {}

client::HttpsTransport& ApiSession::transport() {
    const auto endpoint = _server();
    if (!_transport || endpoint.baseUrl != _baseUrl) {
        _transport = std::make_unique<client::HttpsTransport>(endpoint);
        _baseUrl = endpoint.baseUrl;
    }
    return *_transport;
}

void ApiSession::signIn() {
    Poco::JSON::Object body;
    body.set("tenant", _tenant);
    body.set("username", _username);
    body.set("password", _password);
    if (_deviceId) {
        body.set("device_id", *_deviceId);
    }
    std::ostringstream text;
    body.stringify(text);
    const auto response =
        transport().send("POST", "/v1/auth/login", "application/json", text.str());
    if (response.status != 200) {
        throw std::runtime_error("sign-in of " + _username + " failed: " + response.body);
    }
    _accessToken = parseObject(response.body)->getValue<std::string>("access_token");
}

client::HttpResponse ApiSession::send(const std::string& method, const std::string& path,
                                      const std::string& body) {
    // A few tries: the server may be starting again after a kill.
    for (int attempt = 1;; ++attempt) {
        try {
            if (_accessToken.empty()) {
                signIn();
            }
            auto response = transport().send(method, path, body.empty() ? "" : "application/json",
                                             body, {{"Authorization", "Bearer " + _accessToken}});
            if (response.status == 401 && attempt < 5) {
                _accessToken.clear();
                continue;
            }
            return response;
        } catch (const shared::Error& error) {
            _transport.reset();
            if (attempt >= 5) {
                throw std::runtime_error(method + " " + path + ": " + error.what());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
        }
    }
}

Poco::JSON::Object::Ptr ApiSession::call(const std::string& method, const std::string& path,
                                         const std::string& body, int status) {
    const auto response = send(method, path, body);
    if (response.status != status) {
        throw std::runtime_error(method + " " + path + " answered " +
                                 std::to_string(response.status) + ": " + response.body);
    }
    return parseObject(response.body);
}

shared::PushResponse ApiSession::push(const shared::DeviceId& device,
                                      const std::vector<shared::Change>& changes) {
    const auto response =
        send("POST", "/v1/sync/push", shared::SyncMessageCodec::toJson({device, changes}));
    if (response.status != 200) {
        throw std::runtime_error("push answered " + std::to_string(response.status) + ": " +
                                 response.body);
    }
    return shared::SyncMessageCodec::pushResponseFromJson(response.body);
}

}  // namespace verdant::test
