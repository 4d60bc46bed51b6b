#include "SyncLogPrinter.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <sstream>

namespace verdant::cli {

void SyncLogPrinter::print(const client::LogEntry& entry) {
    std::ostringstream numbers;
    const auto number = [&numbers](const char* name, auto value) {
        if (value != 0) {
            numbers << (numbers.tellp() > 0 ? " " : "") << name << '=' << value;
        }
    };
    number("changes", entry.changes);
    number("bytes", entry.bytes);
    number("scopes", entry.scopes);
    number("ms", entry.durationMs);
    if (entry.error) {
        numbers << (numbers.tellp() > 0 ? " " : "") << "error=" << shared::wireName(*entry.error);
    }
    std::lock_guard lock(_mutex);
    _out << "verdant: " << client::wireName(entry.level) << ' ' << entry.event << ": "
         << entry.message;
    if (numbers.tellp() > 0) {
        _out << " (" << numbers.str() << ')';
    }
    _out << std::endl;  // flushed: a log is read while the sync runs
}

}  // namespace verdant::cli
