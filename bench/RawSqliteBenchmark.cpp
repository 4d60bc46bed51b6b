// The floor under Store::apply: the same two writes a change costs in this storage model (a row
// appended to a change log, a row of materialized state upserted), done with bare SQLite
// statements, no merge, no codec, no checks. Batches of 500 in one transaction, WAL, synchronous
// FULL (durable) or NORMAL, on 600 records of 6 fields. Reported as changes per second
// ("changes_per_second"), to compare with applyBatchesOf500 in verdant_store_apply_bench:
//   build/bench/bench/verdant_store_apply_bench
//   --benchmark_filter='raw|applyBatchesOf500/durable:1/uniform:0'

#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <array>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>

namespace {

void check(int rc, sqlite3* db) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        throw std::runtime_error(sqlite3_errmsg(db));
    }
}

void exec(sqlite3* db, const char* sql) {
    check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db);
}

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* statement = nullptr;
    check(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr), db);
    return statement;
}

void rawSqliteInsertsOf500(benchmark::State& state) {
    const bool durable = state.range(0) != 0;
    const auto path = std::filesystem::temp_directory_path() / "verdant-bench-raw.db";
    for (const auto& suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(path.string() + suffix);
    }
    sqlite3* db = nullptr;
    check(sqlite3_open(path.c_str(), &db), db);
    exec(db, "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL;");
    exec(db, durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    exec(db,
         "CREATE TABLE changes (server_seq INTEGER PRIMARY KEY, device INTEGER, device_seq "
         "INTEGER, record INTEGER, field TEXT, value BLOB, hlc BLOB, UNIQUE (device, device_seq));"
         "CREATE TABLE fields (record INTEGER, field TEXT, value BLOB, state BLOB, "
         "PRIMARY KEY (record, field)) WITHOUT ROWID;");
    sqlite3_stmt* log =
        prepare(db,
                "INSERT INTO changes (device, device_seq, record, field, value, hlc) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    sqlite3_stmt* upsert = prepare(db,
                                   "INSERT INTO fields (record, field, value, state) VALUES "
                                   "(?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET value = "
                                   "excluded.value, state = excluded.state");
    static const std::array<const char*, 6> kFields = {"answer", "note",        "score",
                                                       "tags",   "checked_out", "status"};
    const std::string value = "Drainage at the east wall checked, photo 123";
    const std::array<unsigned char, 12> hlc{};
    const std::array<unsigned char, 64> fieldState{};
    std::mt19937_64 random(42);
    std::int64_t seq = 0;
    for (auto _ : state) {
        exec(db, "BEGIN IMMEDIATE");
        for (int i = 0; i < 500; ++i) {
            const auto record = static_cast<std::int64_t>(random() % 600);
            const char* field = kFields[random() % kFields.size()];
            sqlite3_bind_int64(log, 1, 1);
            sqlite3_bind_int64(log, 2, ++seq);
            sqlite3_bind_int64(log, 3, record);
            sqlite3_bind_text(log, 4, field, -1, SQLITE_STATIC);
            sqlite3_bind_blob(log, 5, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
            sqlite3_bind_blob(log, 6, hlc.data(), static_cast<int>(hlc.size()), SQLITE_STATIC);
            check(sqlite3_step(log), db);
            sqlite3_reset(log);
            sqlite3_bind_int64(upsert, 1, record);
            sqlite3_bind_text(upsert, 2, field, -1, SQLITE_STATIC);
            sqlite3_bind_blob(upsert, 3, value.data(), static_cast<int>(value.size()),
                              SQLITE_STATIC);
            sqlite3_bind_blob(upsert, 4, fieldState.data(), static_cast<int>(fieldState.size()),
                              SQLITE_STATIC);
            check(sqlite3_step(upsert), db);
            sqlite3_reset(upsert);
        }
        exec(db, "COMMIT");
    }
    state.counters["changes_per_second"] = benchmark::Counter(
        static_cast<double>(state.iterations() * 500), benchmark::Counter::kIsRate);
    sqlite3_finalize(log);
    sqlite3_finalize(upsert);
    sqlite3_close(db);
    for (const auto& suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(path.string() + suffix);
    }
}

BENCHMARK(rawSqliteInsertsOf500)
    ->ArgNames({"durable"})
    ->Args({1})
    ->Args({0})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0)
    ->UseRealTime();

}  // namespace
