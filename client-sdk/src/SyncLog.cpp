#include "SyncLog.hpp"

#include <utility>

namespace verdant::client {

std::string_view wireName(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::Debug:
            return "debug";
        case LogLevel::Info:
            return "info";
        case LogLevel::Warning:
            return "warning";
        case LogLevel::Error:
            return "error";
    }
    return "info";
}

SyncLog::SyncLog(LogCallback callback) {
    set(std::move(callback));
}

void SyncLog::set(LogCallback callback) {
    auto replacement =
        callback ? std::make_shared<const LogCallback>(std::move(callback)) : nullptr;
    {
        std::lock_guard lock(_callbackMutex);
        _enabled = replacement != nullptr;
        _callback = std::move(replacement);
    }
    // Waits out a call of the previous callback in progress on another thread; from inside that
    // call, this thread holds the (recursive) lock already and does not wait for itself.
    std::lock_guard wait(_callMutex);
}

void SyncLog::emit(const LogEntry& entry) noexcept {
    if (!enabled()) {
        return;
    }
    try {
        std::lock_guard call(_callMutex);
        std::shared_ptr<const LogCallback> callback;
        {
            std::lock_guard lock(_callbackMutex);
            callback = _callback;
        }
        if (callback) {
            (*callback)(entry);
        }
    } catch (...) {  // NOLINT(bugprone-empty-catch): the app's log must never break a sync
    }
}

void SyncLog::emit(LogLevel level, std::string_view event, std::string message) noexcept {
    if (!enabled()) {
        return;
    }
    try {
        LogEntry entry;
        entry.level = level;
        entry.event = event;
        entry.message = std::move(message);
        emit(entry);
    } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory for the entry: no entry
    }
}

std::int64_t SyncLog::elapsedMs(std::chrono::steady_clock::time_point start) noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start)
        .count();
}

}  // namespace verdant::client
