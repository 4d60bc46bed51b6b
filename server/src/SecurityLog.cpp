#include "verdant/server/SecurityLog.hpp"

#include <Poco/Logger.h>

namespace verdant::server {

namespace {

thread_local const std::string* currentClient = nullptr;

/// Client-given text is cut to this many bytes in the log.
constexpr std::size_t kMaxValueBytes = 128;

/// A log value: plain when it is a simple word, else quoted with `"` and `\` escaped; every
/// byte outside printable ASCII is written `\xNN` (so no control character, C1 code or line
/// separator such as U+2028 can start a forged line, and a cut cannot split a character in the
/// output), and long values are cut (marked with "...").
std::string logValue(std::string_view value) {
    const bool cut = value.size() > kMaxValueBytes;
    value = value.substr(0, kMaxValueBytes);
    bool plain = !value.empty();
    std::string text;
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7F) {
            constexpr const char* kDigits = "0123456789abcdef";
            text += "\\x";
            text += kDigits[byte >> 4];
            text += kDigits[byte & 0xF];
            plain = false;
        } else if (c == '"' || c == '\\') {
            text += '\\';
            text += c;
            plain = false;
        } else {
            plain = plain && c != ' ' && c != '=';
            text += c;
        }
    }
    if (cut) {
        text += "...";
    }
    return plain && !cut ? text : "\"" + text + "\"";
}

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
