#include "WorkerPool.hpp"

#include <Poco/Logger.h>

#include <exception>

namespace verdant::server {

WorkerPool::WorkerPool(int threads, std::size_t maxQueued) : _maxQueued(maxQueued) {
    _threads.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) {
        _threads.emplace_back([this] { work(); });
    }
}

WorkerPool::~WorkerPool() {
    stop();
}

bool WorkerPool::trySubmit(Job job) {
    {
        std::lock_guard lock(_mutex);
        if (_stopping || _queue.size() >= _maxQueued) {
            return false;
        }
        _queue.push_back(std::move(job));
    }
    _ready.notify_one();
    return true;
}

void WorkerPool::stop() {
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
    }
    _ready.notify_all();
    for (auto& thread : _threads) {
        if (thread.joinable()) {
            thread.join();
        }
    }
    _threads.clear();
}

void WorkerPool::work() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(_mutex);
            _ready.wait(lock, [this] { return _stopping || !_queue.empty(); });
            if (_queue.empty()) {
                return;  // stopping, and nothing left to run
            }
            job = std::move(_queue.front());
            _queue.pop_front();
        }
        try {
            job();
        } catch (const std::exception& e) {
            // Jobs answer their own failures; this is a defect, and the worker must survive it.
            Poco::Logger::get("verdant.http")
                .error("a worker job failed: %s", std::string(e.what()));
        } catch (...) {
            Poco::Logger::get("verdant.http").error("a worker job failed");
        }
    }
}

}  // namespace verdant::server
