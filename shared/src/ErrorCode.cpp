#include "verdant/shared/ErrorCode.hpp"

#include <array>

namespace verdant::shared {

namespace {

struct ErrorRow {
    ErrorCode code;
    std::string_view wire;
    ErrorCategory category;
    int status;
    std::string_view message;
};

constexpr std::array kRows = {
#define VERDANT_ERROR_ROW(name, value, wire, category, status, message) \
    ErrorRow{ErrorCode::name, wire, ErrorCategory::category, status, message},
    VERDANT_ERROR_CODES(VERDANT_ERROR_ROW)
#undef VERDANT_ERROR_ROW
};

const ErrorRow& rowOf(ErrorCode code) noexcept {
    for (const auto& row : kRows) {
        if (row.code == code) {
            return row;
        }
    }
    // Every enumerator comes from the table, so this is only reached for a value cast from an
    // out-of-range integer; report it as the internal error it is.
    return kRows.back();
}

}  // namespace

std::string_view wireName(ErrorCode code) noexcept {
    return rowOf(code).wire;
}

std::optional<ErrorCode> errorCodeFromWireName(std::string_view name) noexcept {
    for (const auto& row : kRows) {
        if (row.wire == name) {
            return row.code;
        }
    }
    return std::nullopt;
}

std::optional<ErrorCode> errorCodeFromNumber(std::uint16_t value) noexcept {
    for (const auto& row : kRows) {
        if (static_cast<std::uint16_t>(row.code) == value) {
            return row.code;
        }
    }
    return std::nullopt;
}

ErrorCategory categoryOf(ErrorCode code) noexcept {
    return rowOf(code).category;
}

std::string_view wireName(ErrorCategory category) noexcept {
    switch (category) {
        case ErrorCategory::InvalidInput:
            return "invalid_input";
        case ErrorCategory::Unauthorised:
            return "unauthorised";
        case ErrorCategory::Forbidden:
            return "forbidden";
        case ErrorCategory::NotFound:
            return "not_found";
        case ErrorCategory::Conflict:
            return "conflict";
        case ErrorCategory::ClockSkew:
            return "clock_skew";
        case ErrorCategory::Transient:
            return "transient";
        case ErrorCategory::Internal:
            return "internal";
    }
    return "internal";
}

int httpStatusOf(ErrorCode code) noexcept {
    return rowOf(code).status;
}

std::string_view defaultMessage(ErrorCode code) noexcept {
    return rowOf(code).message;
}

bool isRetryable(ErrorCode code) noexcept {
    const auto category = categoryOf(code);
    return category == ErrorCategory::Transient || category == ErrorCategory::ClockSkew;
}

Error::Error(ErrorCode code) : Error(code, std::string(defaultMessage(code))) {}

Error::Error(ErrorCode code, std::string message)
    : std::runtime_error(std::move(message)), _code(code) {}

std::string quotedInput(std::string_view text) {
    constexpr std::size_t kMaxBytes = 64;
    if (text.size() <= kMaxBytes) {
        return std::string(text);
    }
    std::size_t end = kMaxBytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
        --end;  // a continuation byte: the character started earlier
    }
    return std::string(text.substr(0, end)) + "\u2026";
}

}  // namespace verdant::shared
