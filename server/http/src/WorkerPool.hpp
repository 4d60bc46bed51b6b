#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace verdant::server {

/// A fixed set of threads that run request handlers, fed by a bounded queue.
///
/// Connections never hold a worker: the listener hands over a request only once it has arrived
/// whole, so `threads` bounds how many handlers run at once (database work, CPU), not how many
/// clients may be connected. Thread-safe.
class WorkerPool {
public:
    using Job = std::function<void()>;

    /// Starts `threads` workers; at most `maxQueued` jobs wait for one.
    WorkerPool(int threads, std::size_t maxQueued);
    /// Runs what is queued, then joins the workers.
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Queues a job; false (and the job is not run) when the queue is full or the pool stopped.
    bool trySubmit(Job job);

    /// Lets queued and running jobs finish, then joins the workers. Idempotent.
    void stop();

private:
    void work();

    std::size_t _maxQueued;
    std::mutex _mutex;
    std::condition_variable _ready;
    std::deque<Job> _queue;
    bool _stopping = false;
    std::vector<std::thread> _threads;
};

}  // namespace verdant::server
