#include "StoreDigest.hpp"

#include "StoredState.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace verdant::sync {

namespace {

constexpr std::string_view kSelectScopeDigest =
    "SELECT digest, last_seq FROM scope_digests WHERE scope_key = ?1";
constexpr std::string_view kWriteScopeDigest =
    "INSERT OR REPLACE INTO scope_digests (scope_key, digest, last_seq) VALUES (?1, ?2, ?3)";
constexpr std::string_view kDeleteScopeDigest = "DELETE FROM scope_digests WHERE scope_key = ?1";
constexpr std::string_view kSelectRecordRow =
    "SELECT collection, record_id, tombstone, scope_key FROM records WHERE record_ref = ?1";
constexpr std::string_view kSelectFieldRows =
    "SELECT field, state FROM fields WHERE record_ref = ?1";
constexpr std::string_view kSelectAllRows =
    "SELECT r.record_ref, r.collection, r.record_id, r.tombstone, r.scope_key, f.field, f.state "
    "FROM records r LEFT JOIN fields f ON f.record_ref = r.record_ref ORDER BY r.record_ref";
constexpr std::string_view kSelectLastSeqs =
    "SELECT coalesce(r.scope_key, ''), max(c.server_seq) FROM changes c "
    "JOIN records r ON r.record_ref = c.record_ref GROUP BY 1 "
    "UNION ALL SELECT coalesce(scope_key, ''), max(scope_seq) FROM records GROUP BY 1 "
    "UNION ALL SELECT '*', max(server_seq) FROM changes";

/// SHA-256, fetched from the provider once (a fetch per digest takes locks) and run on a context
/// each thread reuses (one per digest would allocate): a batch digests every row it writes.
class Sha256 {
public:
    Sha256() : _context(EVP_MD_CTX_new()) {}
    ~Sha256() { EVP_MD_CTX_free(_context); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    static Sha256& forThisThread() {
        thread_local Sha256 sha;
        return sha;
    }

    /// The digest of the parts, each preceded by its length (so no two part lists hash alike).
    Digest of(std::initializer_list<std::span<const std::uint8_t>> parts) {
        static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        bool ok = _context != nullptr && kSha256 != nullptr &&
                  EVP_DigestInit_ex2(_context, kSha256, nullptr) == 1;
        for (const auto part : parts) {
            std::uint8_t size[4];
            const auto length = static_cast<std::uint32_t>(part.size());
            for (int i = 0; i < 4; ++i) {
                size[i] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
            }
            ok = ok && EVP_DigestUpdate(_context, size, sizeof size) == 1 &&
                 EVP_DigestUpdate(_context, part.data(), part.size()) == 1;
        }
        std::array<std::uint8_t, 32> bytes{};
        unsigned int written = 0;
        ok = ok && EVP_DigestFinal_ex(_context, bytes.data(), &written) == 1 && written == 32;
        if (!ok) {
            throw shared::Error(shared::ErrorCode::InternalError,
                                "Could not compute a store checksum.");
        }
        return Digest::fromBytes(bytes);
    }

private:
    EVP_MD_CTX* _context;
};

Digest digestOf(std::initializer_list<std::span<const std::uint8_t>> parts) {
    return Sha256::forThisThread().of(parts);
}

std::span<const std::uint8_t> bytesOf(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

shared::RecordId recordIdOf(std::span<const std::uint8_t> blob) {
    shared::RecordId::Bytes bytes{};
    if (blob.size() != bytes.size()) {
        throw shared::Error(shared::ErrorCode::InternalError, "The store holds a corrupt id.");
    }
    std::copy(blob.begin(), blob.end(), bytes.begin());
    return shared::RecordId(bytes);
}

}  // namespace

Digest& Digest::operator+=(const Digest& other) noexcept {
    for (std::size_t i = 0; i < lanes.size(); ++i) {
        lanes[i] += other.lanes[i];
    }
    return *this;
}

Digest& Digest::operator-=(const Digest& other) noexcept {
    for (std::size_t i = 0; i < lanes.size(); ++i) {
        lanes[i] -= other.lanes[i];
    }
    return *this;
}

std::array<std::uint8_t, 32> Digest::bytes() const noexcept {
    std::array<std::uint8_t, 32> out{};
    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
        for (std::size_t i = 0; i < 8; ++i) {
            out[lane * 8 + i] = static_cast<std::uint8_t>(lanes[lane] >> (56 - 8 * i));
        }
    }
    return out;
}

Digest Digest::fromBytes(std::span<const std::uint8_t> blob) noexcept {
    Digest digest;
    if (blob.size() != 32) {
        return digest;
    }
    for (std::size_t lane = 0; lane < digest.lanes.size(); ++lane) {
        for (std::size_t i = 0; i < 8; ++i) {
            digest.lanes[lane] = (digest.lanes[lane] << 8) | blob[lane * 8 + i];
        }
    }
    return digest;
}

std::string Digest::hex() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text;
    text.reserve(64);
    for (const std::uint8_t byte : bytes()) {
        text += kHex[byte >> 4];
        text += kHex[byte & 0xF];
    }
    return text;
}

Digest recordRowDigest(std::string_view collection, const shared::RecordId& id,
                       std::span<const std::uint8_t> tombstone) {
    return digestOf({bytesOf("record"), bytesOf(collection), id.bytes(), tombstone});
}

Digest fieldRowDigest(std::string_view collection, const shared::RecordId& id,
                      std::string_view field, std::span<const std::uint8_t> state) {
    return digestOf({bytesOf("field"), bytesOf(collection), id.bytes(), bytesOf(field), state});
}

void DigestDelta::add(const std::optional<std::string>& scopeKey, const Digest& digest) {
    entry(scopeKey).sum += digest;
    _entries[std::string(kWholeStoreDigestKey)].sum += digest;
}

void DigestDelta::subtract(const std::optional<std::string>& scopeKey, const Digest& digest) {
    entry(scopeKey).sum -= digest;
    _entries[std::string(kWholeStoreDigestKey)].sum -= digest;
}

void DigestDelta::move(const std::optional<std::string>& from, const std::optional<std::string>& to,
                       const Digest& digest) {
    entry(from).sum -= digest;
    entry(to).sum += digest;
}

void DigestDelta::reach(const std::optional<std::string>& scopeKey, std::uint64_t position) {
    auto& last = entry(scopeKey).lastSeq;
    last = std::max(last, position);
    auto& whole = _entries[std::string(kWholeStoreDigestKey)].lastSeq;
    whole = std::max(whole, position);
}

DigestDelta::Entry& DigestDelta::entry(const std::optional<std::string>& scopeKey) {
    return _entries[scopeKey ? *scopeKey : std::string(kUnscopedDigestKey)];
}

void DigestDelta::writeTo(sqlite::Database& db) {
    for (auto& [key, change] : _entries) {
        const auto stored = storedScopeDigest(db, key);
        Digest sum = stored.sum;
        sum += change.sum;
        const auto last = std::max(stored.lastSeq, change.lastSeq);
        auto write = db.cached(kWriteScopeDigest);
        write->bind(1, key);
        const auto bytes = sum.bytes();
        write->bind(2, std::span<const std::uint8_t>(bytes));
        write->bind(3, static_cast<std::int64_t>(last));
        write->run();
    }
    _entries.clear();
}

ScopeDigestRow storedScopeDigest(sqlite::Database& db, std::string_view scopeKey) {
    ScopeDigestRow row;
    auto select = db.cached(kSelectScopeDigest);
    select->bind(1, scopeKey);
    if (select->step()) {
        row.sum = Digest::fromBytes(select->blob(0));
        row.lastSeq = static_cast<std::uint64_t>(select->integer(1));
    }
    return row;
}

namespace {

/// The canonical bytes of a stored state; its stored bytes when they cannot be read back (a
/// write missing from a damaged log), so the scope's recomputed sum differs from the kept one and
/// the scope is found damaged instead of the check failing.
std::vector<std::uint8_t> canonicalOrStored(StoredStateReader& states,
                                            std::span<const std::uint8_t> stored) {
    try {
        return states.canonical(stored);
    } catch (const shared::Error&) {
        return {stored.begin(), stored.end()};
    }
}

}  // namespace

Digest recomputeRecordDigest(sqlite::Database& db, std::int64_t recordRef) {
    Digest total;
    std::string collection;
    std::optional<shared::RecordId> id;
    {
        auto select = db.cached(kSelectRecordRow);
        select->bind(1, recordRef);
        if (!select->step()) {
            return total;
        }
        collection = select->text(0);
        id = recordIdOf(select->blob(1));
        total += recordRowDigest(collection, *id, select->blob(2));
    }
    StoredStateReader states(db);
    auto select = db.cached(kSelectFieldRows);
    select->bind(1, recordRef);
    while (select->step()) {
        total += fieldRowDigest(collection, *id, select->text(0),
                                canonicalOrStored(states, select->blob(1)));
    }
    return total;
}

std::map<std::string, Digest> storedScopeDigests(sqlite::Database& db) {
    std::map<std::string, Digest> sums;
    auto select = db.cached("SELECT scope_key, digest FROM scope_digests");
    while (select->step()) {
        sums.emplace(std::string(select->text(0)), Digest::fromBytes(select->blob(1)));
    }
    return sums;
}

void subtractRecord(sqlite::Database& db, std::int64_t recordRef, DigestDelta& delta) {
    std::optional<std::string> scopeKey;
    {
        auto select = db.cached(kSelectRecordRow);
        select->bind(1, recordRef);
        if (!select->step()) {
            return;
        }
        if (!select->isNull(3)) {
            scopeKey = std::string(select->text(3));
        }
    }
    delta.subtract(scopeKey, recomputeRecordDigest(db, recordRef));
}

void forgetScopeDigest(sqlite::Database& db, const std::string& scopeKey) {
    DigestDelta delta;
    delta.subtract(scopeKey, storedScopeDigest(db, scopeKey).sum);
    delta.writeTo(db);
    auto remove = db.cached(kDeleteScopeDigest);
    remove->bind(1, scopeKey);
    remove->run();
}

std::map<std::string, Digest> recomputeScopeDigests(sqlite::Database& db) {
    std::map<std::string, Digest> sums;
    sums[std::string(kWholeStoreDigestKey)];
    StoredStateReader states(db);
    auto select = db.cached(kSelectAllRows);
    std::int64_t previous = 0;
    std::string collection;
    std::optional<shared::RecordId> id;
    Digest* scope = nullptr;
    Digest& whole = sums[std::string(kWholeStoreDigestKey)];
    while (select->step()) {
        if (select->integer(0) != previous) {
            previous = select->integer(0);
            collection = select->text(1);
            id = recordIdOf(select->blob(2));
            scope = &sums[select->isNull(4) ? std::string(kUnscopedDigestKey)
                                            : std::string(select->text(4))];
            const Digest row = recordRowDigest(collection, *id, select->blob(3));
            *scope += row;
            whole += row;
        }
        if (!select->isNull(5)) {
            const Digest row = fieldRowDigest(collection, *id, select->text(5),
                                              canonicalOrStored(states, select->blob(6)));
            *scope += row;
            whole += row;
        }
    }
    return sums;
}

void rebuildScopeDigests(sqlite::Database& db) {
    const auto sums = recomputeScopeDigests(db);
    std::map<std::string, std::uint64_t> lastSeqs;
    {
        auto select = db.cached(kSelectLastSeqs);
        while (select->step()) {
            auto& last = lastSeqs[std::string(select->text(0))];
            last = std::max(last, static_cast<std::uint64_t>(select->integer(1)));
        }
    }
    db.exec("DELETE FROM scope_digests");
    auto write = db.cached(kWriteScopeDigest);
    for (const auto& [key, sum] : sums) {
        write->bind(1, key);
        const auto bytes = sum.bytes();
        write->bind(2, std::span<const std::uint8_t>(bytes));
        write->bind(3, static_cast<std::int64_t>(lastSeqs[key]));
        write->run();
        write->reset();
    }
}

}  // namespace verdant::sync
