#include "verdant/server/storage/ReaderPool.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <utility>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

Error closing() {
    return Error(ErrorCode::StorageUnavailable, "The server is shutting down; try again.");
}

}  // namespace

ReaderPool::Lease::Lease(ReaderPool& pool, std::unique_ptr<sync::Store> store)
    : _pool(pool), _store(std::move(store)) {
    try {
        _snapshot.emplace(*_store);
    } catch (...) {
        _pool.giveBack(std::move(_store), /*reusable=*/false);
        throw;
    }
}

ReaderPool::Lease::~Lease() {
    _snapshot.reset();  // the read transaction ends before the reader is lent again
    _pool.giveBack(std::move(_store), /*reusable=*/true);
}

ReaderPool::ReaderPool(Opener open, std::size_t capacity)
    : _openReader(std::move(open)), _capacity(capacity < 1 ? 1 : capacity) {}

ReaderPool::~ReaderPool() {
    close();
}

ReaderPool::Lease ReaderPool::borrow() {
    std::unique_lock lock(_mutex);
    _changed.wait(lock, [&] { return _closing || !_idle.empty() || _open < _capacity; });
    if (_closing) {
        throw closing();
    }
    if (!_idle.empty()) {
        auto store = std::move(_idle.back());
        _idle.pop_back();
        lock.unlock();
        return Lease(*this, std::move(store));
    }
    ++_open;  // counted while it opens, so the capacity holds; opened outside the lock
    lock.unlock();
    std::unique_ptr<sync::Store> store;
    try {
        store = _openReader();
    } catch (...) {
        giveBack(nullptr, false);
        throw;
    }
    return Lease(*this, std::move(store));
}

void ReaderPool::giveBack(std::unique_ptr<sync::Store> store, bool reusable) noexcept {
    std::unique_lock lock(_mutex);
    if (store && reusable && !_closing) {
        _idle.push_back(std::move(store));
    } else {
        lock.unlock();
        store.reset();  // closes the connection
        lock.lock();
        --_open;
    }
    lock.unlock();
    _changed.notify_all();
}

void ReaderPool::close() {
    std::vector<std::unique_ptr<sync::Store>> idle;
    std::unique_lock lock(_mutex);
    _closing = true;
    idle.swap(_idle);
    _open -= idle.size();
    lock.unlock();
    idle.clear();  // closes them outside the lock
    _changed.notify_all();
    lock.lock();
    _changed.wait(lock, [&] { return _open == 0; });
}

std::size_t ReaderPool::openReaders() const {
    std::lock_guard lock(_mutex);
    return _open;
}

}  // namespace verdant::server
