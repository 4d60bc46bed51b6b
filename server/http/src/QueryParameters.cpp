#include "verdant/server/http/QueryParameters.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <limits>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

/// Milliseconds in a day.
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

bool allDigits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char ch) {
        return std::isdigit(static_cast<unsigned char>(ch)) != 0;
    });
}

}  // namespace

QueryParameters::QueryParameters(const HttpExchange& exchange,
                                 std::initializer_list<std::string_view> known) {
    Poco::URI::QueryParameters parameters;
    try {
        parameters = Poco::URI(exchange.request().getURI()).getQueryParameters();
    } catch (const Poco::Exception&) {
        throw Error(ErrorCode::InvalidParameter, "The query string cannot be read.");
    }
    for (const auto& [name, value] : parameters) {
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            std::string accepted;
            for (const auto& item : known) {
                accepted += (accepted.empty() ? "" : ", ") + std::string(item);
            }
            throw Error(ErrorCode::InvalidParameter,
                        "Unknown query parameter '" + shared::quotedInput(name) +
                            "'; this endpoint accepts " +
                            (accepted.empty() ? std::string("none") : accepted) + ".");
        }
        if (!_values.emplace(name, value).second) {
            throw Error(ErrorCode::InvalidParameter, "'" + name + "' is given twice.");
        }
    }
}

std::optional<std::string> QueryParameters::text(const std::string& name) const {
    const auto found = _values.find(name);
    if (found == _values.end() || found->second.empty()) {
        return std::nullopt;
    }
    return found->second;
}

std::optional<shared::RecordId> QueryParameters::id(const std::string& name) const {
    const auto value = text(name);
    if (!value) {
        return std::nullopt;
    }
    const auto parsed = shared::RecordId::parse(*value);
    if (!parsed) {
        throw Error(ErrorCode::InvalidParameter, "'" + name + "' must be a record id (a UUID).");
    }
    return parsed;
}

std::optional<std::int64_t> QueryParameters::integer(const std::string& name, std::int64_t min,
                                                     std::int64_t max) const {
    const auto value = text(name);
    if (!value) {
        return std::nullopt;
    }
    std::int64_t number = 0;
    const auto* end = value->data() + value->size();
    const auto [last, error] = std::from_chars(value->data(), end, number);
    if (error != std::errc() || last != end || number < min || number > max) {
        throw Error(ErrorCode::InvalidParameter, "'" + name + "' must be a whole number from " +
                                                     std::to_string(min) + " to " +
                                                     std::to_string(max) + ".");
    }
    return number;
}

std::optional<std::vector<std::string>> QueryParameters::oneOf(
    const std::string& name, const std::vector<std::string>& allowed) const {
    const auto value = text(name);
    if (!value) {
        return std::nullopt;
    }
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= value->size()) {
        const auto comma = std::min(value->find(',', start), value->size());
        auto item = value->substr(start, comma - start);
        if (std::find(allowed.begin(), allowed.end(), item) == allowed.end()) {
            std::string list;
            for (const auto& option : allowed) {
                list += (list.empty() ? "" : ", ") + option;
            }
            throw Error(ErrorCode::InvalidParameter, "'" + name + "' has '" +
                                                         shared::quotedInput(item) +
                                                         "', which is not one of: " + list + ".");
        }
        items.push_back(std::move(item));
        start = comma + 1;
    }
    return items;
}

std::optional<std::int64_t> QueryParameters::time(const std::string& name, bool endOfDay) const {
    const auto value = text(name);
    if (!value) {
        return std::nullopt;
    }
    if (const auto midnight = parseUtcDate(*value)) {
        return endOfDay ? *midnight + kDayMs - 1 : *midnight;
    }
    std::int64_t ms = 0;
    const auto* end = value->data() + value->size();
    if (allDigits(*value) && std::from_chars(value->data(), end, ms).ec == std::errc()) {
        return ms;
    }
    throw Error(ErrorCode::InvalidParameter,
                "'" + name + "' must be a date YYYY-MM-DD (UTC) or Unix milliseconds.");
}

std::optional<std::int64_t> parseUtcDate(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !allDigits(text.substr(0, 4)) ||
        !allDigits(text.substr(5, 2)) || !allDigits(text.substr(8, 2))) {
        return std::nullopt;
    }
    const auto number = [&](std::size_t at, std::size_t length) {
        int value = 0;
        std::from_chars(text.data() + at, text.data() + at + length, value);
        return value;
    };
    const std::chrono::year_month_day date{std::chrono::year(number(0, 4)),
                                           std::chrono::month(static_cast<unsigned>(number(5, 2))),
                                           std::chrono::day(static_cast<unsigned>(number(8, 2)))};
    if (!date.ok()) {
        return std::nullopt;
    }
    return std::chrono::sys_days(date).time_since_epoch().count() * kDayMs;
}

std::string isoUtc(std::int64_t ms) {
    // Poco::Timestamp counts microseconds: beyond ±292,000 years there is no date to show.
    constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 1000;
    if (ms > kLimit || ms < -kLimit) {
        return std::to_string(ms);
    }
    return Poco::DateTimeFormatter::format(Poco::Timestamp(ms * 1000),
                                           Poco::DateTimeFormat::ISO8601_FORMAT);
}

}  // namespace verdant::server
