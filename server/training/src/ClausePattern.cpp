#include "ClausePattern.hpp"

#include <cctype>

namespace verdant::server::training_office {

namespace {

constexpr std::size_t kMaxLength = 64;
constexpr std::size_t kMaxSegments = 8;

/// Whether `text` is one to eight non-empty dot-separated segments of ASCII letters and digits.
bool isClause(std::string_view text) {
    std::size_t segments = 1;
    bool segmentEmpty = true;
    for (const char ch : text) {
        if (ch == '.') {
            if (segmentEmpty || ++segments > kMaxSegments) {
                return false;
            }
            segmentEmpty = true;
        } else if (std::isalnum(static_cast<unsigned char>(ch)) != 0) {
            segmentEmpty = false;
        } else {
            return false;
        }
    }
    return !segmentEmpty;
}

}  // namespace

ClausePattern::ClausePattern(std::string text, std::string clause, bool prefix)
    : _text(std::move(text)), _clause(std::move(clause)), _prefix(prefix) {}

std::optional<ClausePattern> ClausePattern::parse(std::string_view text) {
    if (text.empty() || text.size() > kMaxLength) {
        return std::nullopt;
    }
    const bool prefix = text.size() > 2 && text.substr(text.size() - 2) == ".*";
    const auto clause = prefix ? text.substr(0, text.size() - 2) : text;
    if (!isClause(clause)) {
        return std::nullopt;
    }
    return ClausePattern(std::string(text), std::string(clause), prefix);
}

bool ClausePattern::matches(std::string_view clause) const {
    if (clause == _clause) {
        return true;
    }
    return _prefix && clause.size() > _clause.size() + 1 &&
           clause.substr(0, _clause.size()) == _clause && clause[_clause.size()] == '.';
}

}  // namespace verdant::server::training_office
