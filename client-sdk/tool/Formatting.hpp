#pragma once

// Human-readable renderings shared by the commands' text output.

#include "verdant/shared/Value.hpp"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace verdant::cli {

/// "812 B", "3.4 KB", "12.1 MB".
std::string formatBytes(std::uint64_t bytes);

/// Unix milliseconds as ISO 8601 UTC, e.g. "2026-05-04T09:30:00Z".
std::string formatTime(std::int64_t unixMs);

/// How long ago `thenMs` was at `nowMs`, e.g. "5 minutes ago", "just now".
std::string formatAge(std::int64_t thenMs, std::int64_t nowMs);

/// A field value as a person reads it: JSON as written, strings bare, ids as ids, timestamps
/// as ISO 8601.
std::string displayValue(const shared::Value& value);

/// Rows printed as aligned columns (the widths count UTF-8 code points, not bytes).
class TextTable {
public:
    /// A table with these column headings.
    explicit TextTable(std::vector<std::string> headings);

    /// Adds a row (as many cells as headings).
    void add(std::vector<std::string> cells);

    /// Prints the headings and rows, two spaces between columns.
    void print(std::ostream& out) const;

private:
    std::vector<std::vector<std::string>> _rows;
};

}  // namespace verdant::cli
