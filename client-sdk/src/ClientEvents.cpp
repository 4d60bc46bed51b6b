#include "ClientImpl.hpp"

namespace verdant::client {

namespace {

/// The subscriber whose callback this thread is running, if any.
thread_local const Subscriber* tCurrentSubscriber = nullptr;

}  // namespace

std::uint64_t Client::Impl::subscribe(std::function<void(const RecordEvent&)> callback) {
    std::lock_guard lock(_subscribersMutex);
    const auto handle = ++_lastSubscription;
    auto subscriber = std::make_shared<Subscriber>();
    subscriber->callback = std::move(callback);
    _subscribers.emplace(handle, std::move(subscriber));
    return handle;
}

void Client::Impl::unsubscribe(std::uint64_t handle) {
    std::shared_ptr<Subscriber> subscriber;
    {
        std::lock_guard lock(_subscribersMutex);
        const auto found = _subscribers.find(handle);
        if (found == _subscribers.end()) {
            return;
        }
        subscriber = found->second;
        _subscribers.erase(found);
    }
    // Wait for a call in progress on another thread; from inside its own callback, the
    // call in progress is this one, and no further call starts.
    std::unique_lock lock(subscriber->mutex);
    subscriber->active = false;
    subscriber->idle.wait(
        lock, [&] { return subscriber->running == 0 || tCurrentSubscriber == subscriber.get(); });
}

bool Client::Impl::hasSubscribers() {
    std::lock_guard lock(_subscribersMutex);
    return !_subscribers.empty();
}

void Client::Impl::defer(std::vector<RecordEvent> events) {
    _syncEvents.insert(_syncEvents.end(), std::make_move_iterator(events.begin()),
                       std::make_move_iterator(events.end()));
}

void Client::Impl::notify(const std::vector<RecordEvent>& events) {
    if (events.empty()) {
        return;
    }
    std::vector<std::shared_ptr<Subscriber>> subscribers;
    {
        std::lock_guard lock(_subscribersMutex);
        for (const auto& [handle, subscriber] : _subscribers) {
            subscribers.push_back(subscriber);
        }
    }
    for (const auto& event : events) {
        for (const auto& subscriber : subscribers) {
            {
                std::lock_guard lock(subscriber->mutex);
                if (!subscriber->active) {
                    continue;
                }
                ++subscriber->running;
            }
            const auto* const previous = std::exchange(tCurrentSubscriber, subscriber.get());
            try {
                subscriber->callback(event);
            } catch (...) {
                // A subscriber's failure must not undo a committed write or stop a sync.
            }
            tCurrentSubscriber = previous;
            {
                std::lock_guard lock(subscriber->mutex);
                --subscriber->running;
            }
            subscriber->idle.notify_all();
        }
    }
}

}  // namespace verdant::client
