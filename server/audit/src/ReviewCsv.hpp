#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace verdant::server::review {

/// Writes RFC 4180 CSV that is safe to open in a spreadsheet: CRLF line ends; a field with a
/// comma, a double quote, CR or LF is quoted (inner quotes doubled); a field a spreadsheet would
/// read as a formula (starting with =, +, -, @, a tab or CR) gets a leading apostrophe. Text is
/// passed through byte for byte otherwise, so UTF-8 stays UTF-8. A plain value; not thread-safe.
class ReviewCsv {
public:
    /// Appends one row.
    void addRow(const std::vector<std::string>& fields);

    /// The document so far.
    const std::string& text() const noexcept { return _text; }

    /// One field as written: neutralised and quoted as needed.
    static std::string field(std::string_view value);

private:
    std::string _text;
};

}  // namespace verdant::server::review
