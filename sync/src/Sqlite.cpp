#include "verdant/sync/Sqlite.hpp"

#include "verdant/shared/ErrorCode.hpp"

namespace verdant::sync::sqlite {

using shared::Error;
using shared::ErrorCode;

void throwError(int resultCode, std::string_view what) {
    const int primary = resultCode & 0xff;
    const bool transient = primary == SQLITE_BUSY || primary == SQLITE_LOCKED ||
                           primary == SQLITE_FULL || primary == SQLITE_IOERR ||
                           primary == SQLITE_CANTOPEN;
    std::string message = "Storage failed while trying to " + std::string(what) + ": " +
                          sqlite3_errstr(resultCode) + ".";
    throw Error(transient ? ErrorCode::StorageUnavailable : ErrorCode::InternalError,
                std::move(message));
}

Statement::Statement(sqlite3* db, std::string_view sql) : _db(db) {
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &_statement, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(_statement);
        throwError(rc, "prepare a statement");
    }
}

Statement::~Statement() {
    sqlite3_finalize(_statement);
}

void Statement::bindNull(int index) {
    if (const int rc = sqlite3_bind_null(_statement, index); rc != SQLITE_OK) {
        throwError(rc, "bind a parameter");
    }
}

void Statement::bind(int index, std::int64_t value) {
    if (const int rc = sqlite3_bind_int64(_statement, index, value); rc != SQLITE_OK) {
        throwError(rc, "bind a parameter");
    }
}

void Statement::bind(int index, std::string_view text) {
    const int rc = sqlite3_bind_text(_statement, index, text.data(), static_cast<int>(text.size()),
                                     SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) {
        throwError(rc, "bind a parameter");
    }
}

void Statement::bind(int index, std::span<const std::uint8_t> blob) {
    // A zero-length blob must still be a blob, not NULL: give SQLite a valid pointer.
    static const std::uint8_t kEmpty = 0;
    const void* data = blob.empty() ? &kEmpty : blob.data();
    const int rc =
        sqlite3_bind_blob(_statement, index, data, static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) {
        throwError(rc, "bind a parameter");
    }
}

bool Statement::step() {
    const int rc = sqlite3_step(_statement);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    throwError(rc, "run a statement");
}

void Statement::reset() noexcept {
    sqlite3_reset(_statement);
    sqlite3_clear_bindings(_statement);
}

bool Statement::isNull(int index) const {
    return sqlite3_column_type(_statement, index) == SQLITE_NULL;
}

std::int64_t Statement::integer(int index) const {
    return sqlite3_column_int64(_statement, index);
}

std::string_view Statement::text(int index) const {
    const auto* data = sqlite3_column_text(_statement, index);
    const int size = sqlite3_column_bytes(_statement, index);
    if (data == nullptr) {
        return {};
    }
    return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(size)};
}

std::span<const std::uint8_t> Statement::blob(int index) const {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(_statement, index));
    const int size = sqlite3_column_bytes(_statement, index);
    if (data == nullptr) {
        return {};
    }
    return {data, static_cast<std::size_t>(size)};
}

namespace {

/// Process-wide SQLite settings, applied once before the library initialises: no global
/// memory statistics (they take a global mutex on every allocation; Verdant never reads them).
/// If the host application initialised SQLite first, its settings stay and this is a no-op.
void configureSqliteOnce() {
    static const bool kConfigured = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    (void)kConfigured;
}

}  // namespace

Database::Database(const std::string& path) {
    configureSqliteOnce();
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &_db, flags, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_close_v2(_db);
        _db = nullptr;
        throwError(rc, "open the database");
    }
    sqlite3_extended_result_codes(_db, 1);
}

Database::~Database() {
    _statements.clear();  // finalize every statement before closing
    sqlite3_close_v2(_db);
}

void Database::exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(_db, sql.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);
    if (rc != SQLITE_OK) {
        throwError(rc, "change the database");
    }
}

ScopedStatement Database::cached(std::string_view sql) {
    auto found = _statements.find(sql.data());
    if (found != _statements.end() && found->second.sql == sql) {
        return ScopedStatement(*found->second.statement);
    }
    // First use, or another text at a reused address (not done by this library): (re)prepare.
    auto statement = std::make_unique<Statement>(_db, sql);
    auto& slot = _statements[sql.data()];
    slot.sql = std::string(sql);
    slot.statement = std::move(statement);
    return ScopedStatement(*slot.statement);
}

std::int64_t Database::queryInteger(const std::string& sql) {
    Statement statement(_db, sql);
    return statement.step() ? statement.integer(0) : 0;
}

Transaction::Transaction(Database& db) : _db(db) {
    _db.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    if (!_done) {
        // Rolling back cannot usefully fail here; if it does, SQLite has already rolled back.
        sqlite3_exec(_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void Transaction::commit() {
    _db.exec("COMMIT");
    _done = true;
}

}  // namespace verdant::sync::sqlite
