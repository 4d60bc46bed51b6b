#include "verdant/server/auth/SecurityLog.hpp"

#include "verdant/server/http/LogValue.hpp"

#include <Poco/Logger.h>

namespace verdant::server {

namespace {

thread_local const std::string* currentClient = nullptr;

void append(std::string& line, std::string_view key, std::string_view value) {
    if (!value.empty()) {
        line += ' ';
        line += key;
        line += '=';
        line += logValue(value);
    }
}

Poco::Logger& logger() {
    static Poco::Logger& instance = Poco::Logger::get("verdant.security");
    return instance;
}

}  // namespace

SecurityLog::ClientScope::ClientScope(std::string client)
    : _client(std::move(client)), _previous(currentClient) {
    currentClient = &_client;
}

SecurityLog::ClientScope::~ClientScope() {
    currentClient = _previous;
}

std::string SecurityLog::line(std::string_view event, const Subject& subject,
                              std::string_view detail) {
    std::string text = "event=" + std::string(event);
    append(text, "tenant", subject.tenant);
    append(text, "user", subject.username);
    append(text, "user_id", subject.userId);
    append(text, "device", subject.deviceId);
    append(text, "client", currentClient != nullptr ? *currentClient : std::string_view());
    append(text, "detail", detail);
    return text;
}

void SecurityLog::notice(std::string_view event, const Subject& subject, std::string_view detail) {
    auto& log = logger();
    if (log.notice()) {
        log.notice(line(event, subject, detail));
    }
}

void SecurityLog::warning(std::string_view event, const Subject& subject, std::string_view detail) {
    auto& log = logger();
    if (log.warning()) {
        log.warning(line(event, subject, detail));
    }
}

}  // namespace verdant::server
