#include "Formatting.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <cstdio>

namespace verdant::cli {

namespace {

std::size_t codePoints(const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

std::string plural(std::int64_t count, const char* unit) {
    return std::to_string(count) + ' ' + unit + (count == 1 ? "" : "s") + " ago";
}

}  // namespace

std::string formatBytes(std::uint64_t bytes) {
    if (bytes < 1024) {
        return std::to_string(bytes) + " B";
    }
    const char* units[] = {"KB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(units)) {
        value /= 1024.0;
        ++unit;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f %s", value, units[unit]);
    return buffer;
}

std::string formatTime(std::int64_t unixMs) {
    const Poco::Timestamp when(static_cast<Poco::Timestamp::TimeVal>(unixMs) * 1000);
    return Poco::DateTimeFormatter::format(when, Poco::DateTimeFormat::ISO8601_FORMAT);
}

std::string formatAge(std::int64_t thenMs, std::int64_t nowMs) {
    const std::int64_t seconds = (nowMs - thenMs) / 1000;
    if (seconds < 0) {
        return "in the future (device clock changed?)";
    }
    if (seconds < 60) {
        return "just now";
    }
    if (seconds < 3600) {
        return plural(seconds / 60, "minute");
    }
    if (seconds < std::int64_t{48} * 3600) {
        return plural(seconds / 3600, "hour");
    }
    return plural(seconds / 86400, "day");
}

std::string displayValue(const shared::Value& value) {
    switch (value.kind()) {
        case shared::ValueKind::String:
            return value.as<std::string>();
        case shared::ValueKind::Timestamp:
            return formatTime(value.as<shared::Timestamp>().ms);
        case shared::ValueKind::Id:
            return value.as<shared::RecordId>().toString();
        case shared::ValueKind::Json:
            return value.as<shared::JsonText>().text;
        default:
            return value.toDisplayString();
    }
}

TextTable::TextTable(std::vector<std::string> headings) {
    _rows.push_back(std::move(headings));
}

void TextTable::add(std::vector<std::string> cells) {
    cells.resize(_rows.front().size());
    _rows.push_back(std::move(cells));
}

void TextTable::print(std::ostream& out) const {
    std::vector<std::size_t> widths(_rows.front().size(), 0);
    for (const auto& row : _rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], codePoints(row[i]));
        }
    }
    for (const auto& row : _rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) {
                line += std::string(widths[i] - codePoints(row[i]) + 2, ' ');
            }
        }
        line.erase(line.find_last_not_of(' ') + 1);  // an empty last column leaves padding
        out << line << '\n';
    }
}

}  // namespace verdant::cli
