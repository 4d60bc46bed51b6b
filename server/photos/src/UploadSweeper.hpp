#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace verdant::server {

/// A thread that runs `sweep` every `interval` until it is destroyed (destruction wakes it and
/// waits for a sweep in progress to end). A sweep that throws is logged and the next one runs.
class UploadSweeper {
public:
    UploadSweeper(std::function<void()> sweep, std::chrono::milliseconds interval);
    ~UploadSweeper();
    UploadSweeper(const UploadSweeper&) = delete;
    UploadSweeper& operator=(const UploadSweeper&) = delete;

private:
    void run();

    std::function<void()> _sweep;
    std::chrono::milliseconds _interval;
    std::mutex _mutex;
    std::condition_variable _wake;
    bool _stopping = false;
    std::thread _thread;
};

}  // namespace verdant::server
