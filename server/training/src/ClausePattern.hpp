#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace verdant::server::training_office {

/// A finding clause to look for: exact (`C.2` matches only `C.2`) or a prefix pattern (`C.2.*`
/// matches `C.2` and every clause under it, `C.2.1`, `C.2.1.4`, but not `C.20`). A clause is
/// one to eight segments of letters and digits separated by dots, at most 64 characters in all;
/// a pattern is a clause followed by `.*`. Comparison is exact (case and all). A plain value.
class ClausePattern {
public:
    /// The pattern of `text`, or nullopt when it is not of the form above.
    static std::optional<ClausePattern> parse(std::string_view text);

    /// Whether a finding's `clause` is the pattern's clause or, for a prefix pattern, under it.
    bool matches(std::string_view clause) const;

    /// The pattern as written (`C.2` or `C.2.*`).
    const std::string& text() const { return _text; }

private:
    ClausePattern(std::string text, std::string clause, bool prefix);

    std::string _text;    ///< As written.
    std::string _clause;  ///< Without the `.*`.
    bool _prefix = false;
};

}  // namespace verdant::server::training_office
