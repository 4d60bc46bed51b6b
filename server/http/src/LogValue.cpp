#include "verdant/server/http/LogValue.hpp"

namespace verdant::server {

std::string logValue(std::string_view value) {
    const bool cut = value.size() > kMaxLogValueBytes;
    value = value.substr(0, kMaxLogValueBytes);
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

}  // namespace verdant::server
