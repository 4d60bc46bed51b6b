#include "verdant/server/sync/ServerWriter.hpp"

#include "verdant/shared/ErrorCode.hpp"

namespace verdant::server {

ServerWriter::ServerWriter(shared::HlcClock& hlc, shared::DeviceId device)
    : _hlc(hlc), _device(device) {}

std::vector<shared::Change> ServerWriter::prepare(const sync::Store& store,
                                                  const std::string& author,
                                                  const std::vector<ServerWrite>& writes) {
    std::vector<shared::Change> changes;
    changes.reserve(writes.size());
    auto seq = store.highWaterMark(_device);
    for (const auto& write : writes) {
        shared::Change change;
        change.collection = write.collection;
        change.recordId = write.recordId;
        change.field = write.field;
        change.operation = write.operation;
        change.value = write.value;
        if (!write.field.empty()) {
            change.baseVersion = store.fieldVersion(write.collection, write.recordId, write.field);
        }
        // After a restart the server clock has not seen the versions it writes over yet: let it,
        // so each write is dated after what it replaces.
        if (change.baseVersion) {
            _hlc.tryReceive(*change.baseVersion);
        }
        change.hlc = _hlc.now();
        change.deviceId = _device;
        change.deviceSeq = ++seq;
        change.author = author;
        changes.push_back(std::move(change));
    }
    // Checked before anything is applied: a refusal inside apply() would quarantine the write
    // under the server's device and leave the batch half-written.
    for (std::size_t i = 0; i < changes.size(); ++i) {
        const auto& change = changes[i];
        if (auto invalid = store.schema().validate(change)) {
            throw shared::Error(invalid->code, "The server cannot write " + change.collection +
                                                   "." + change.field + ": " + invalid->message);
        }
        const auto* spec = store.schema().fieldOf(change);
        if (spec != nullptr && spec->merge == shared::MergeKind::Immutable) {
            if (const auto stored = store.record(change.collection, change.recordId)) {
                const auto field = stored->fields.find(change.field);
                if (field != stored->fields.end() && !field->second.value.isNull() &&
                    field->second.value != change.value) {
                    throw shared::Error(shared::ErrorCode::ImmutableField,
                                        change.collection + "." + change.field +
                                            " is set already and never changes.");
                }
            }
        }
    }
    return changes;
}

std::vector<std::uint64_t> ServerWriter::apply(sync::Store& store, const std::string& author,
                                               const std::vector<ServerWrite>& writes) {
    if (writes.empty()) {
        return {};
    }
    const auto changes = prepare(store, author, writes);
    const auto applied = store.apply(changes);
    std::vector<std::uint64_t> positions;
    positions.reserve(applied.results.size());
    for (std::size_t i = 0; i < applied.results.size(); ++i) {
        const auto& result = applied.results[i];
        if (result.outcome == sync::ChangeOutcome::Refused) {
            throw shared::Error(result.error.value_or(shared::ErrorCode::InternalError),
                                "The server could not write " + writes[i].collection + "." +
                                    writes[i].field + ": " + result.message);
        }
        positions.push_back(result.serverSeq.value_or(0));
    }
    return positions;
}

}  // namespace verdant::server
