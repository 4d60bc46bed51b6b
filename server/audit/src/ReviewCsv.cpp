#include "ReviewCsv.hpp"

namespace verdant::server::review {

std::string ReviewCsv::field(std::string_view value) {
    std::string cell;
    // OWASP "CSV injection": these first characters make a spreadsheet evaluate the cell.
    if (!value.empty() &&
        std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos) {
        cell = "'";
    }
    cell += value;
    if (cell.find_first_of(",\"\r\n") == std::string::npos) {
        return cell;
    }
    std::string quoted = "\"";
    for (const char ch : cell) {
        quoted += ch;
        if (ch == '"') {
            quoted += '"';
        }
    }
    quoted += '"';
    return quoted;
}

void ReviewCsv::addRow(const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) {
            _text += ',';
        }
        _text += field(fields[i]);
    }
    _text += "\r\n";
}

}  // namespace verdant::server::review
