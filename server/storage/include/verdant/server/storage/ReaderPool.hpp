#pragma once

#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Store.hpp"

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace verdant::server {

/// Read-only connections to one store file, lent to one request at a time: what lets pulls and
/// review queries run while a push writes. In WAL mode a reader sees the last committed state and
/// never waits for the writer (nor the writer for it); each lease is one read transaction, so a
/// request sees one consistent state however many queries it makes.
///
/// Readers open on demand, up to `capacity` (the worker thread count: then a request never waits
/// for a reader either); a borrower beyond that waits until one is given back. Idle readers stay
/// open for the next request. Thread-safe.
class ReaderPool {
public:
    /// A reader lent to one request; gives it back (or closes it, once the pool is closing) on
    /// destruction. Must not outlive its pool. Use it on one thread.
    class Lease {
    public:
        /// The reader, inside its read transaction. Const: a read path cannot write.
        const sync::Store& store() const noexcept { return *_store; }

        /// Ends the read transaction and gives the reader back.
        ~Lease();
        /// Not copyable: it lends one reader.
        Lease(const Lease&) = delete;
        /// Not copyable.
        Lease& operator=(const Lease&) = delete;

    private:
        friend class ReaderPool;
        Lease(ReaderPool& pool, std::unique_ptr<sync::Store> store);

        ReaderPool& _pool;
        std::unique_ptr<sync::Store> _store;
        std::optional<sync::Store::ReadSnapshot> _snapshot;
    };

    /// Opens one read-only store (of a store a writer has created and brought up to date).
    using Opener = std::function<std::unique_ptr<sync::Store>()>;
    /// Readers opened with `open`, at most `capacity` (>= 1) at a time.
    ReaderPool(Opener open, std::size_t capacity);
    /// Closes the idle readers. No lease may be outstanding (call close() first when unsure).
    ~ReaderPool();
    ReaderPool(const ReaderPool&) = delete;
    ReaderPool& operator=(const ReaderPool&) = delete;

    /// Lends a reader with a read transaction begun. Throws shared::Error(StorageUnavailable)
    /// once the pool is closing, and whatever opening a reader throws.
    [[nodiscard]] Lease borrow();

    /// Refuses further borrows, closes the idle readers, and waits until every lent reader has
    /// come back (and is closed): after it returns no reader of the file is open. Reads never
    /// wait for writes, so the wait is as long as the longest read in progress. Idempotent.
    void close();

    /// Readers open now, lent or idle (for tests and metrics).
    std::size_t openReaders() const;

private:
    /// Takes a lent reader back: pooled if `reusable` and the pool is open, else closed.
    void giveBack(std::unique_ptr<sync::Store> store, bool reusable) noexcept;

    const Opener _openReader;
    const std::size_t _capacity;
    mutable std::mutex _mutex;
    std::condition_variable _changed;
    std::vector<std::unique_ptr<sync::Store>> _idle;
    std::size_t _open = 0;  // readers in existence: idle, lent, or being opened
    bool _closing = false;
};

}  // namespace verdant::server
