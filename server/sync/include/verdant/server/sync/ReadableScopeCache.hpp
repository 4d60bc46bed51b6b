#pragma once

#include "verdant/server/auth/TokenService.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

namespace verdant::server {

/// The scopes a user may read, remembered per (tenant, user, role) with the log position of the
/// state they were computed from. What a user may read follows from the tenant's records only,
/// and every change to them moves the log, so an entry is valid exactly while the log's end is
/// the one it was computed at: an expert paging through an initial pull of 1,000 audits resolves
/// them once, not once per page.
///
/// Thread-safety: every member may be called from any thread. Bounded: at most kMaxEntries
/// entries (then it starts over).
class ReadableScopeCache {
public:
    /// The scopes (nullopt: the whole tenant) as of log position `lastServerSeq`; `resolve`
    /// computes them when no entry for that position is kept.
    using Scopes = std::optional<std::set<std::string>>;
    std::shared_ptr<const Scopes> get(const Principal& principal, std::uint64_t lastServerSeq,
                                      const std::function<Scopes()>& resolve);

    /// Most entries kept at once.
    static constexpr std::size_t kMaxEntries = 4096;

private:
    struct Entry {
        std::uint64_t lastServerSeq = 0;
        std::shared_ptr<const Scopes> scopes;
    };
    std::mutex _mutex;
    std::unordered_map<std::string, Entry> _entries;
};

}  // namespace verdant::server
