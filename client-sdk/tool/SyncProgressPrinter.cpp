#include "SyncProgressPrinter.hpp"

#include "Formatting.hpp"

namespace verdant::cli {

void SyncProgressPrinter::show(const client::SyncProgress& progress) {
    if (!_enabled) {
        return;
    }
    const bool pushing = progress.phase == client::SyncProgress::Phase::Pushing;
    std::string line = pushing ? "pushing: " : "pulling: ";
    line += std::to_string(progress.changesDone);
    if (progress.changesTotal != 0) {
        line += '/';
        line += std::to_string(progress.changesTotal);
    }
    line += " changes, ";
    line += formatBytes(progress.bytesTransferred);
    if (_terminal) {
        // Back to the start of the line, then clear what a longer previous line left.
        _out << '\r' << line << "\x1b[K" << std::flush;
        _lineOpen = true;
    } else {
        _out << line << '\n' << std::flush;
    }
}

void SyncProgressPrinter::finish() {
    if (_lineOpen) {
        _out << '\n' << std::flush;
        _lineOpen = false;
    }
}

}  // namespace verdant::cli
