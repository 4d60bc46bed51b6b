#include "StoreDigest.hpp"

#include "StoredState.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/StoreBackend.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace verdant::sync {

namespace {

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

void DigestDelta::writeTo(StoreBackend& backend) {
    for (auto& [key, change] : _entries) {
        const auto stored = storedScopeDigest(backend, key);
        Digest sum = stored.sum;
        sum += change.sum;
        const auto bytes = sum.bytes();
        backend.putScopeSum(key, bytes, std::max(stored.lastSeq, change.lastSeq));
    }
    _entries.clear();
}

ScopeDigestRow storedScopeDigest(StoreBackend& backend, std::string_view scopeKey) {
    const auto kept = backend.scopeSum(scopeKey);
    return ScopeDigestRow{Digest::fromBytes(kept.sum), kept.lastSeq};
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

/// The digest of one row as forEachStateRow() yields it.
Digest rowDigest(StoredStateReader& states, const StateRow& row) {
    if (!row.field) {
        return recordRowDigest(row.collection, row.id, row.tombstone);
    }
    return fieldRowDigest(row.collection, row.id, row.field->field,
                          canonicalOrStored(states, row.field->state));
}

}  // namespace

Digest recomputeRecordDigest(StoreBackend& backend, std::int64_t recordRef) {
    Digest total;
    StoredStateReader states(backend);
    backend.forEachStateRowOf(recordRef,
                              [&](const StateRow& row) { total += rowDigest(states, row); });
    return total;
}

std::map<std::string, Digest> storedScopeDigests(StoreBackend& backend) {
    std::map<std::string, Digest> sums;
    for (const auto& [key, sum] : backend.scopeSums()) {
        sums.emplace(key, Digest::fromBytes(sum));
    }
    return sums;
}

void subtractRecord(StoreBackend& backend, std::int64_t recordRef, DigestDelta& delta) {
    std::optional<std::string> scopeKey;
    Digest total;
    StoredStateReader states(backend);
    backend.forEachStateRowOf(recordRef, [&](const StateRow& row) {
        if (row.scopeKey) {
            scopeKey = std::string(*row.scopeKey);
        }
        total += rowDigest(states, row);
    });
    delta.subtract(scopeKey, total);
}

void forgetScopeDigest(StoreBackend& backend, const std::string& scopeKey) {
    DigestDelta delta;
    delta.subtract(scopeKey, storedScopeDigest(backend, scopeKey).sum);
    delta.writeTo(backend);
    backend.removeScopeSum(scopeKey);
}

std::map<std::string, Digest> recomputeScopeDigests(StoreBackend& backend) {
    std::map<std::string, Digest> sums;
    Digest& whole = sums[std::string(kWholeStoreDigestKey)];
    StoredStateReader states(backend);
    backend.forEachStateRow([&](const StateRow& row) {
        const Digest digest = rowDigest(states, row);
        sums[row.scopeKey ? std::string(*row.scopeKey) : std::string(kUnscopedDigestKey)] += digest;
        whole += digest;
    });
    return sums;
}

void rebuildScopeDigests(StoreBackend& backend) {
    const auto sums = recomputeScopeDigests(backend);
    auto ends = backend.feedEnds();
    backend.clearScopeSums();
    for (const auto& [key, sum] : sums) {
        const auto bytes = sum.bytes();
        backend.putScopeSum(key, bytes, ends[key]);
    }
}

}  // namespace verdant::sync
