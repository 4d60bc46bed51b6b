#include "verdant/server/photos/TusHeaders.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <sstream>

namespace verdant::server {

namespace {

/// Standard base64 (with or without padding), or nullopt.
std::optional<std::string> decodeBase64(std::string_view text) {
    const bool alphabet = std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/' || c == '=';
    });
    const auto padding = text.find('=');
    if (!alphabet || text.size() % 4 == 1 ||
        (padding != std::string_view::npos &&
         text.find_first_not_of('=', padding) != std::string_view::npos)) {
        return std::nullopt;
    }
    std::istringstream in{std::string(text)};
    Poco::Base64Decoder decoder(in);
    std::string decoded;
    try {
        decoded.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
    return decoded;
}

std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

std::optional<std::map<std::string, std::string>> parseUploadMetadata(std::string_view header) {
    std::map<std::string, std::string> pairs;
    if (trimmed(header).empty()) {
        return pairs;
    }
    std::size_t start = 0;
    while (start <= header.size()) {
        const auto comma = std::min(header.find(',', start), header.size());
        const auto pair = trimmed(header.substr(start, comma - start));
        const auto space = pair.find(' ');
        const auto key = pair.substr(0, space);
        if (key.empty() || key.find('\t') != std::string_view::npos) {
            return std::nullopt;
        }
        std::string value;
        if (space != std::string_view::npos) {
            const auto decoded = decodeBase64(pair.substr(space + 1));
            if (!decoded) {
                return std::nullopt;
            }
            value = *decoded;
        }
        if (!pairs.emplace(std::string(key), std::move(value)).second) {
            return std::nullopt;
        }
        start = comma + 1;
    }
    return pairs;
}

std::optional<UploadChecksum> parseUploadChecksum(std::string_view header) {
    const auto text = trimmed(header);
    const auto space = text.find(' ');
    if (space == 0 || space == std::string_view::npos ||
        text.find(' ', space + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    auto digest = decodeBase64(text.substr(space + 1));
    if (!digest || digest->empty()) {
        return std::nullopt;
    }
    std::string algorithm(text.substr(0, space));
    std::transform(algorithm.begin(), algorithm.end(), algorithm.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return UploadChecksum{std::move(algorithm), std::move(*digest)};
}

std::optional<std::int64_t> parseTusNumber(std::string_view text) {
    if (text.empty() || text.size() > 18 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    for (const char c : text) {
        value = value * 10 + (c - '0');
    }
    return value;
}

std::string httpDate(std::int64_t ms) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(ms * 1000),
                                           Poco::DateTimeFormat::HTTP_FORMAT);
}

}  // namespace verdant::server
