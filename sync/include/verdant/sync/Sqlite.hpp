#pragma once

// Small RAII wrappers over the sqlite3 C API, used by the sync store and by the server's own
// databases (accounts), so there is one way to talk to SQLite in the project.
//
// Why not Poco::Data: the store's hot path (apply a batch) is a few prepared statements run
// hundreds of thousands of times a second; the C API with cached statements keeps that path free
// of per-call allocations and type erasure (LiteCore takes the same route with SQLiteCpp).

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace verdant::sync::sqlite {

/// Throws verdant::shared::Error for a failed SQLite call: StorageUnavailable for busy, locked,
/// full or I/O errors, InternalError otherwise. The message never contains SQL text.
[[noreturn]] void throwError(int resultCode, std::string_view what);

/// One prepared statement. Owns the sqlite3_stmt; not thread-safe.
class Statement {
public:
    /// Prepares `sql` on `db`; throws on a syntax or schema error.
    Statement(sqlite3* db, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    /// Binds NULL to the 1-based parameter `index`.
    void bindNull(int index);
    /// Binds an integer.
    void bind(int index, std::int64_t value);
    /// Binds text (copied by SQLite only if needed: SQLITE_TRANSIENT).
    void bind(int index, std::string_view text);
    /// Binds a blob.
    void bind(int index, std::span<const std::uint8_t> blob);

    /// Runs one step: true if a row is available, false when done. Throws on error.
    bool step();
    /// Runs a statement that returns no rows.
    void run() {
        while (step()) {
        }
    }
    /// Resets the statement and clears its bindings, ready for reuse.
    void reset() noexcept;

    /// Whether column `index` (0-based) of the current row is NULL.
    bool isNull(int index) const;
    /// Integer column.
    std::int64_t integer(int index) const;
    /// Text column (valid until the next step/reset).
    std::string_view text(int index) const;
    /// Blob column (valid until the next step/reset).
    std::span<const std::uint8_t> blob(int index) const;

private:
    sqlite3_stmt* _statement = nullptr;
    sqlite3* _db = nullptr;
};

/// A statement borrowed from the cache; resets it (and clears bindings) when it goes out of scope.
class ScopedStatement {
public:
    /// Borrows `statement` until destruction.
    explicit ScopedStatement(Statement& statement) noexcept : _statement(&statement) {}
    ~ScopedStatement() { _statement->reset(); }
    ScopedStatement(const ScopedStatement&) = delete;
    ScopedStatement& operator=(const ScopedStatement&) = delete;

    /// The borrowed statement.
    Statement* operator->() const noexcept { return _statement; }
    /// The borrowed statement.
    Statement& operator*() const noexcept { return *_statement; }

private:
    Statement* _statement;
};

/// An open connection with a cache of prepared statements. Owns the sqlite3 handle; not
/// thread-safe (open one per thread).
class Database {
public:
    /// Opens (creating if needed) the database at `path`, or a private in-memory database for
    /// ":memory:". Throws on failure.
    explicit Database(const std::string& path);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// Runs one or more statements without results (DDL, pragmas).
    void exec(const std::string& sql);
    /// The cached statement for `sql`, prepared on first use. Looked up by the address of the
    /// text first (callers pass constants), so the hot path costs one hash and one compare.
    ScopedStatement cached(std::string_view sql);
    /// Integer result of a single-value query such as "PRAGMA user_version".
    std::int64_t queryInteger(const std::string& sql);
    /// Rows changed by the last INSERT/UPDATE/DELETE.
    int changes() const noexcept { return sqlite3_changes(_db); }
    /// Rowid of the last successful INSERT.
    std::int64_t lastInsertRowid() const noexcept { return sqlite3_last_insert_rowid(_db); }
    /// The raw handle, for the few calls not wrapped here.
    sqlite3* handle() const noexcept { return _db; }

private:
    sqlite3* _db = nullptr;
    struct CachedStatement {
        std::string sql;
        std::unique_ptr<Statement> statement;
    };
    std::unordered_map<const char*, CachedStatement> _statements;
};

/// A write transaction: `BEGIN IMMEDIATE` on construction (so a writer waits for the write lock
/// up front instead of failing to upgrade mid-way), ROLLBACK on destruction unless commit() ran.
class Transaction {
public:
    /// Begins the transaction; throws StorageUnavailable if the lock cannot be had.
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    /// Commits; after this the destructor does nothing. Throws if COMMIT fails (then rolls back).
    void commit();

private:
    Database& _db;
    bool _done = false;
};

}  // namespace verdant::sync::sqlite
