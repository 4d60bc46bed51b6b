#pragma once

#include "verdant/client/HttpsTransport.hpp"
#include "verdant/shared/Change.hpp"
#include "verdant/shared/SyncMessages.hpp"

#include <Poco/JSON/Object.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace verdant::test {

/// One user's signed-in session over the raw JSON API, without the SDK: for HQ's review console
/// and for sending a device's changes again by hand. Signs in on first use (for a given device id
/// when one is named) and again after a 401; follows the server to a new address. Not
/// thread-safe.
class ApiSession {
public:
    ApiSession(std::function<client::ServerEndpoint()> server, std::string tenant,
               std::string username, std::string password,
               std::optional<std::string> deviceId = std::nullopt);

    /// Sends a JSON request and returns the answer (any status). Throws std::runtime_error when
    /// the server cannot be reached or the sign-in fails.
    client::HttpResponse send(const std::string& method, const std::string& path,
                              const std::string& body = "");

    /// As send(), and parses the JSON object answered; throws unless the status is `status`.
    Poco::JSON::Object::Ptr call(const std::string& method, const std::string& path,
                                 const std::string& body = "", int status = 200);

    /// Pushes `changes` (as the session's device) and returns the server's answer.
    shared::PushResponse push(const shared::DeviceId& device,
                              const std::vector<shared::Change>& changes);

private:
    void signIn();
    client::HttpsTransport& transport();

    std::function<client::ServerEndpoint()> _server;
    std::string _tenant;
    std::string _username;
    std::string _password;
    std::optional<std::string> _deviceId;
    std::string _baseUrl;
    std::unique_ptr<client::HttpsTransport> _transport;
    std::string _accessToken;
};

}  // namespace verdant::test
