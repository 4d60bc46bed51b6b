#include "ClientImpl.hpp"

namespace verdant::client {

void Client::Impl::startBackground(std::chrono::milliseconds interval,
                                   std::function<void(const SyncReport&)> onReport) {
    std::lock_guard control(_backgroundControl);
    if (_background.joinable()) {
        if (_backgroundRunning) {
            return;
        }
        _background.join();  // it ended by itself (an auth failure): start afresh
    }
    {
        std::lock_guard lock(_backgroundMutex);
        _stopping = false;
        _requested = false;
    }
    _backgroundRunning = true;
    _background = std::thread(
        [this, interval, onReport = std::move(onReport)] { backgroundLoop(interval, onReport); });
    _backgroundId = _background.get_id();
    if (_uploadThread.joinable()) {
        _uploadThread.join();  // a loop that ended with the sync loop's auth failure
    }
    _uploadThread = std::thread([this, interval] { uploadLoop(interval); });
    _uploadThreadId = _uploadThread.get_id();
}

void Client::Impl::stopBackground() {
    {
        std::lock_guard lock(_backgroundMutex);
        _stopping = true;
    }
    _backgroundWake.notify_all();
    if (std::this_thread::get_id() == _backgroundId) {
        return;  // from onReport or a subscriber: the loop ends when the callback returns
    }
    std::lock_guard control(_backgroundControl);
    if (_background.joinable()) {
        _background.join();
    }
    if (_uploadThread.joinable()) {
        _uploadThread.join();
    }
    _backgroundRunning = false;
}

void Client::Impl::wakeBackground() {
    {
        std::lock_guard lock(_backgroundMutex);
        _requested = true;
    }
    _backgroundWake.notify_all();
}

bool Client::Impl::sleepFor(std::chrono::milliseconds delay) {
    if (_options.sleep) {
        _options.sleep(delay);
        return true;
    }
    if (std::this_thread::get_id() != _backgroundId) {
        std::this_thread::sleep_for(delay);  // a foreground sync() waits out its retries
        return true;
    }
    // The background loop's retries end early when it is asked to stop.
    std::unique_lock lock(_backgroundMutex);
    return !_backgroundWake.wait_for(lock, delay, [this] { return _stopping; });
}

void Client::Impl::backgroundLoop(std::chrono::milliseconds interval,
                                  const std::function<void(const SyncReport&)>& onReport) {
    Backoff backoff(_options.retry);
    for (;;) {
        {
            std::lock_guard lock(_backgroundMutex);
            if (_stopping) {
                break;
            }
            _requested = false;
        }
        SyncReport report;
        try {
            report = runSync(true, true, {});
        } catch (const shared::Error& error) {
            report.errors.push_back(SyncError{error.code(), error.what()});
        }
        if (report.pushed > 0 || report.complete) {
            wakeUploads();  // the photos whose records just reached the server may go now
        }
        if (onReport) {
            try {
                onReport(report);
            } catch (...) {
                // The app's handler must not end the loop.
            }
        }
        bool authFailed = false;
        bool transient = false;
        for (const auto& error : report.errors) {
            authFailed = authFailed || isAuthFailure(error.code);
            transient = transient || isTransient(error.code);
        }
        if (authFailed) {
            break;  // reported; the app asks the user to sign in again
        }
        auto wait = interval;
        if (report.complete) {
            backoff.reset();
        } else if (transient) {
            wait = backoff.nextDelay();
        }
        std::unique_lock lock(_backgroundMutex);
        _backgroundWake.wait_for(lock, wait, [this] { return _stopping || _requested; });
    }
    _backgroundRunning = false;
}

void Client::Impl::wakeUploads() {
    {
        std::lock_guard lock(_backgroundMutex);
        _uploadRequested = true;
    }
    _backgroundWake.notify_all();
}

bool Client::Impl::uploadSleep(std::chrono::milliseconds delay) {
    if (_options.sleep) {
        _options.sleep(delay);
        return true;
    }
    if (std::this_thread::get_id() != _uploadThreadId) {
        std::this_thread::sleep_for(delay);  // a foreground uploadPhotos() waits out its retries
        return true;
    }
    std::unique_lock lock(_backgroundMutex);
    return !_backgroundWake.wait_for(lock, delay, [this] { return _stopping; });
}

void Client::Impl::uploadLoop(std::chrono::milliseconds interval) {
    // Photo bytes go on this thread, beside the sync loop: a long upload never delays a sync.
    for (;;) {
        {
            std::unique_lock lock(_backgroundMutex);
            _backgroundWake.wait_for(lock, interval,
                                     [this] { return _stopping || _uploadRequested; });
            if (_stopping) {
                break;
            }
            _uploadRequested = false;
        }
        try {
            uploadPhotos({});
        } catch (...) {  // NOLINT(bugprone-empty-catch): a storage failure waits for the next round
        }
    }
}

}  // namespace verdant::client
