// Store::Impl: purging a scope, and a device rewriting its own unsent changes.

#include "StoreImpl.hpp"

#include <algorithm>
#include <iterator>
#include <set>

namespace verdant::sync {

std::size_t Store::Impl::purgeScope(const std::string& scopeKey) {
    WriteScope transaction(*_backend);
    _cache = Cache{};
    forgetScopeDigest(*_backend, scopeKey);
    const std::size_t removed = _backend->purgeScope(scopeKey);
    transaction.commit();
    return removed;
}

std::vector<LoggedChange> Store::Impl::deviceChanges(const DeviceId& device, std::uint64_t afterSeq,
                                                     std::size_t limit) {
    const auto ref = _backend->findDevice(device);
    if (!ref || limit == 0) {
        return {};
    }
    return _backend->deviceChanges(*ref, afterSeq, limit);
}

std::size_t Store::Impl::rewriteDeviceChanges(const DeviceId& device, std::uint64_t afterSeq,
                                              const ChangeRewrite& rewrite) {
    try {
        return rewriteInTransaction(device, afterSeq, rewrite);
    } catch (...) {
        _cache = Cache{};  // it may hold merges that were rolled back
        throw;
    }
}

std::size_t Store::Impl::rewriteInTransaction(const DeviceId& device, std::uint64_t afterSeq,
                                              const ChangeRewrite& rewrite) {
    WriteScope transaction(*_backend);
    _cache = Cache{};

    // 1. Every decision first, so a throwing `rewrite` leaves nothing half done (the transaction
    // rolls back regardless). `edits` maps a sequence to its replacement (nullopt: removed).
    std::map<std::uint64_t, std::optional<Change>> edits;
    std::set<std::pair<std::string, RecordId>> touched;
    for (auto& logged : deviceChanges(device, afterSeq, SIZE_MAX)) {
        std::optional<Change> replacement = rewrite(logged.change);
        if (replacement && *replacement == logged.change) {
            continue;
        }
        touched.emplace(logged.change.collection, logged.change.recordId);
        if (replacement) {
            if (replacement->deviceId != logged.change.deviceId ||
                replacement->deviceSeq != logged.change.deviceSeq) {
                throw Error(ErrorCode::InvalidChange,
                            "A rewritten change must keep its device and sequence number (" +
                                std::to_string(logged.change.deviceSeq) + ").");
            }
            if (auto invalid = _schema.validate(*replacement)) {
                throw Error(invalid->code, "A rewritten change is invalid: " + invalid->message);
            }
            touched.emplace(replacement->collection, replacement->recordId);
        }
        edits.emplace(logged.change.deviceSeq, std::move(replacement));
    }
    if (edits.empty()) {
        return 0;  // nothing written; the guard rolls the empty transaction back
    }

    // 2. The touched records' changes, of every device, in log order, with the edits applied.
    std::vector<std::int64_t> refs;
    std::vector<LoggedChange> logged;
    for (const auto& [collection, id] : touched) {
        const auto ref = findRecordRef(collection, id);
        if (!ref) {
            continue;  // a replacement moves a change to a record not on this replica yet
        }
        refs.push_back(*ref);
        auto changes = _backend->recordChanges(*ref);
        std::move(changes.begin(), changes.end(), std::back_inserter(logged));
    }
    std::sort(logged.begin(), logged.end(), [](const LoggedChange& a, const LoggedChange& b) {
        return a.serverSeq < b.serverSeq;
    });
    std::vector<Change> rebuilt;
    rebuilt.reserve(logged.size());
    for (auto& entry : logged) {
        if (entry.change.deviceId == device) {
            if (auto edit = edits.find(entry.change.deviceSeq); edit != edits.end()) {
                if (edit->second) {
                    rebuilt.push_back(std::move(*edit->second));
                }
                continue;
            }
        }
        rebuilt.push_back(std::move(entry.change));
    }

    // 3. Forget the touched records (rows, fields, log entries), keeping the highest log
    // position, then merge the rebuilt list exactly as apply() would have.
    {
        DigestDelta removed;
        for (const std::int64_t ref : refs) {
            subtractRecord(*_backend, ref, removed);
        }
        removed.writeTo(*_backend);
    }
    _backend->removeRecords(refs);
    _cache = Cache{};
    Batch state;
    applyBatch(rebuilt, ChangeGate{}, Arrival::Rebuilt, state);
    writeBack(state);
    transaction.commit();

    if (_options.clock != nullptr && state.maxApplied) {
        _options.clock->tryReceive(*state.maxApplied);
    }
    return edits.size();
}

}  // namespace verdant::sync
