#include "BlobRange.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>

namespace verdant::server {

namespace {

/// `text` without leading and trailing spaces and tabs.
std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

/// A non-empty run of digits as a number (saturated at the largest int64: a position past any
/// blob), or nullopt for anything else.
std::optional<std::int64_t> position(std::string_view digits) {
    if (digits.empty()) {
        return std::nullopt;
    }
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    std::int64_t value = 0;
    for (const char ch : digits) {
        if (ch < '0' || ch > '9') {
            return std::nullopt;
        }
        const int digit = ch - '0';
        value = value > (kMax - digit) / 10 ? kMax : value * 10 + digit;
    }
    return value;
}

bool startsWithBytesUnit(std::string_view header) {
    constexpr std::string_view kUnit = "bytes=";
    if (header.size() < kUnit.size()) {
        return false;
    }
    return std::equal(kUnit.begin(), kUnit.end(), header.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
    });
}

/// The part [first, last] of a blob of `size` bytes; unsatisfiable when it starts past the end.
BlobRange part(std::int64_t first, std::int64_t last, std::int64_t size) {
    if (first >= size) {
        return {BlobRange::Kind::Unsatisfiable, 0, 0};
    }
    last = std::min(last, size - 1);
    return {BlobRange::Kind::Part, first, last - first + 1};
}

}  // namespace

BlobRange blobRange(std::string_view header, std::int64_t size) {
    header = trimmed(header);
    if (!startsWithBytesUnit(header)) {
        return {};  // absent, or a unit this server does not know
    }
    const auto spec = trimmed(header.substr(6));
    const auto dash = spec.find('-');
    if (spec.find(',') != std::string_view::npos || dash == std::string_view::npos) {
        return {};  // several ranges (allowed to be ignored) or no range at all
    }
    const auto from = spec.substr(0, dash);
    const auto to = spec.substr(dash + 1);
    if (from.empty()) {  // bytes=-n: the last n bytes
        const auto suffix = position(to);
        if (!suffix) {
            return {};
        }
        if (*suffix == 0 || size == 0) {
            return {BlobRange::Kind::Unsatisfiable, 0, 0};
        }
        return part(size - std::min(*suffix, size), size - 1, size);
    }
    const auto first = position(from);
    const auto last = to.empty()
                          ? std::optional<std::int64_t>(std::numeric_limits<std::int64_t>::max())
                          : position(to);
    if (!first || !last || *last < *first) {
        return {};  // invalid: ignored, as RFC 9110 allows
    }
    return part(*first, *last, size);
}

bool etagListMatches(std::string_view header, std::string_view etag) {
    const auto weakless = [](std::string_view tag) {
        return tag.substr(0, 2) == "W/" ? tag.substr(2) : tag;
    };
    const auto wanted = weakless(etag);
    while (!header.empty()) {
        const auto comma = header.find(',');
        const auto tag = trimmed(header.substr(0, comma));
        if (tag == "*" || weakless(tag) == wanted) {
            return true;
        }
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    }
    return false;
}

}  // namespace verdant::server
