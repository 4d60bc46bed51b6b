#pragma once

#include "verdant/client/Client.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace verdant::client {

/// Where the sync flow sends its LogEntry values: the app's LogCallback, replaceable at any time,
/// called one entry at a time, never letting an exception out.
///
/// Entries are built only when a callback is set (enabled()), so a Client without a log pays
/// one atomic read per event.
class SyncLog {
public:
    explicit SyncLog(LogCallback callback = {});

    /// Replaces the callback. When it returns, the previous one is not running and never will
    /// again, unless this is called from inside it (that call then finishes on its own).
    void set(LogCallback callback);

    /// Whether a callback is set (an entry would be delivered).
    bool enabled() const noexcept { return _enabled.load(std::memory_order_relaxed); }

    /// Delivers `entry` to the callback, if any; drops whatever the callback throws.
    void emit(const LogEntry& entry) noexcept;

    /// Shorthand for emit() of an entry with a level, event, message and no numbers.
    void emit(LogLevel level, std::string_view event, std::string message) noexcept;

    /// Milliseconds since `start` on the steady clock, for LogEntry::durationMs.
    static std::int64_t elapsedMs(std::chrono::steady_clock::time_point start) noexcept;

private:
    mutable std::mutex _callbackMutex;  // _callback
    std::recursive_mutex _callMutex;    // held while the callback runs: one call at a time
    std::shared_ptr<const LogCallback> _callback;
    std::atomic<bool> _enabled{false};
};

}  // namespace verdant::client
