#pragma once

#include "verdant/client/Client.hpp"

#include <cstddef>
#include <ostream>

namespace verdant::cli {

/// Shows the progress of a long sync on stderr: one line rewritten in place on a terminal, one
/// line per request otherwise (when asked for with --progress). Used on the thread that runs the
/// sync; not thread-safe.
class SyncProgressPrinter {
public:
    /// Prints to `out` when `enabled`; `terminal` rewrites one line instead of adding lines.
    SyncProgressPrinter(std::ostream& out, bool enabled, bool terminal)
        : _out(out), _enabled(enabled), _terminal(terminal) {}

    /// Shows one progress report (the callback of Client::sync, push and pull).
    void show(const client::SyncProgress& progress);

    /// Ends the in-place line, if one was written; call before printing anything else.
    void finish();

private:
    std::ostream& _out;
    bool _enabled;
    bool _terminal;
    bool _lineOpen = false;
};

}  // namespace verdant::cli
