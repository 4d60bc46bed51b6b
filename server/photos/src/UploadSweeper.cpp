#include "UploadSweeper.hpp"

#include <Poco/Logger.h>

#include <exception>

namespace verdant::server {

UploadSweeper::UploadSweeper(std::function<void()> sweep, std::chrono::milliseconds interval)
    : _sweep(std::move(sweep)), _interval(interval), _thread([this] { run(); }) {}

UploadSweeper::~UploadSweeper() {
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
    }
    _wake.notify_all();
    _thread.join();
}

void UploadSweeper::run() {
    std::unique_lock lock(_mutex);
    while (!_wake.wait_for(lock, _interval, [this] { return _stopping; })) {
        lock.unlock();
        try {
            _sweep();
        } catch (const std::exception& e) {
            Poco::Logger::get("verdant.photos")
                .warning("the upload sweep failed: %s", std::string(e.what()));
        }
        lock.lock();
    }
}

}  // namespace verdant::server
