// Convergence property: random schemas in use, random concurrent histories from 2-6 devices with
// random offline periods, delivered through a server with split, duplicated and re-sent batches,
// and to fresh replicas in random orders: every replica ends byte-identical, and every written
// value is accounted for (visible, an LWW/min/max/first-write loser, removed by a remove that had
// seen it, or a candidate of an open conflict), checked against a brute-force oracle.

#include "PropertyCheck.hpp"

#include "verdant/shared/Clock.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Store.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace verdant::sync {
namespace {

using shared::Change;
using shared::ChangeKey;
using shared::CollectionSpec;
using shared::FieldSpec;
using shared::FieldType;
using shared::Hlc;
using shared::MergeKind;
using shared::Operation;
using shared::RecordId;
using shared::Value;

constexpr int kCases = 500;
constexpr std::int64_t kEpochMs = 1'704'067'200'000;

using Random = std::mt19937_64;

std::size_t pick(Random& random, std::size_t size) {
    return std::uniform_int_distribution<std::size_t>(0, size - 1)(random);
}

bool chance(Random& random, double probability) {
    return std::bernoulli_distribution(probability)(random);
}

const std::vector<std::string> kStates = {"invited", "registered", "cancelled", "checked_in",
                                          "attended"};
const std::vector<std::string> kSeverities = {"priority", "major", "minor", "observation"};

/// The field shapes a random schema draws from: every merge kind, several types.
std::vector<FieldSpec> fieldTemplates() {
    return {
        {"", FieldType::String, MergeKind::LastWriterWins, {}, 64},
        {"", FieldType::Int, MergeKind::LastWriterWins, {}, 8},
        {"", FieldType::Real, MergeKind::LastWriterWins, {}, 8},
        {"", FieldType::Bool, MergeKind::LastWriterWins, {}, 8},
        {"", FieldType::Json, MergeKind::LastWriterWins, {}, 64},
        {"", FieldType::String, MergeKind::ReviewedRegister, {}, 64},
        {"", FieldType::Enum, MergeKind::ReviewedRegister, kSeverities, 16},
        {"", FieldType::StringSet, MergeKind::AddWinsSet, {}, 16},
        {"", FieldType::Enum, MergeKind::MonotoneState, kStates, 16},
        {"", FieldType::Timestamp, MergeKind::Min, {}, 8},
        {"", FieldType::Timestamp, MergeKind::Max, {}, 8},
        {"", FieldType::Int, MergeKind::Max, {}, 8},
        {"", FieldType::String, MergeKind::Immutable, {}, 64},
        {"", FieldType::IdRef, MergeKind::Immutable, {}, 16},
    };
}

shared::Schema randomSchema(Random& random) {
    const auto templates = fieldTemplates();
    shared::Schema schema;
    const std::size_t collections = 1 + pick(random, 2);
    for (std::size_t c = 0; c < collections; ++c) {
        std::vector<FieldSpec> fields;
        const std::size_t count = 1 + pick(random, 6);
        for (std::size_t f = 0; f < count; ++f) {
            FieldSpec field = templates[pick(random, templates.size())];
            field.name = "f" + std::to_string(f);
            fields.push_back(field);
        }
        schema.add(CollectionSpec("c" + std::to_string(c), std::move(fields)));
    }
    return schema;
}

/// A small value pool per type, so that equal values and ties happen often.
Value randomValue(Random& random, const FieldSpec& field, const std::vector<RecordId>& ids) {
    switch (field.type) {
        case FieldType::String:
        case FieldType::StringSet:
            return Value::string(std::string(1, static_cast<char>('a' + pick(random, 4))));
        case FieldType::Int:
            return Value::integer(static_cast<std::int64_t>(pick(random, 5)) - 2);
        case FieldType::Real:
            return Value::real(static_cast<double>(pick(random, 4)) / 4.0);
        case FieldType::Bool:
            return Value::boolean(chance(random, 0.5));
        case FieldType::Timestamp:
            return Value::timestamp(kEpochMs + static_cast<std::int64_t>(pick(random, 6)) * 1000);
        case FieldType::IdRef:
            return Value::id(ids[pick(random, ids.size())]);
        case FieldType::Enum:
            return Value::string(field.enumValues[pick(random, field.enumValues.size())]);
        case FieldType::Json:
            return Value::json("{\"n\":" + std::to_string(pick(random, 3)) + "}");
    }
    return Value::null();
}

/// One simulated device: a local store (as the SDK keeps), an outbox and a pull cursor.
struct Device {
    Device(const shared::Schema& schema, std::uint64_t seed, std::int64_t skewMs)
        : skew(skewMs),
          clock(kEpochMs + skewMs),
          ids(clock, seed),
          id(ids.nextDeviceId()),
          hlc(clock, shared::nodeIdOf(id), std::nullopt),
          store(":memory:", schema, options()) {}

    StoreOptions options() {
        StoreOptions result;
        result.clock = &hlc;  // pulled changes move the device's HLC forward
        return result;
    }

    std::int64_t skew;
    shared::ManualClock clock;
    shared::IdGenerator ids;
    shared::DeviceId id;
    shared::HlcClock hlc;
    Store store;
    std::uint64_t seq = 0;
    std::vector<Change> outbox;
    std::uint64_t cursor = 0;
    int offlineSteps = 0;
};

struct History {
    shared::Schema schema;
    std::vector<Change> changes;  // every change made, once
};

/// Splits `changes` into random batches and applies them, re-sending some (lost acks).
void deliver(Random& random, Store& target, const std::vector<Change>& changes) {
    std::size_t at = 0;
    while (at < changes.size()) {
        const std::size_t size = 1 + pick(random, std::min<std::size_t>(changes.size() - at, 8));
        const std::span<const Change> batch(changes.data() + at, size);
        target.apply(batch);
        if (chance(random, 0.2)) {
            target.apply(batch);  // acknowledgement lost: the same batch again
        }
        at += size;
    }
}

void push(Random& random, Device& device, Store& server) {
    if (device.outbox.empty()) {
        return;
    }
    if (chance(random, 0.15)) {
        // The push reached the server but the app died before the acknowledgement: the outbox
        // is kept and sent again later.
        deliver(random, server, device.outbox);
        return;
    }
    deliver(random, server, device.outbox);
    const auto mark = server.highWaterMark(device.id);
    std::erase_if(device.outbox, [mark](const Change& change) { return change.deviceSeq <= mark; });
}

void pull(Random& random, Device& device, const Store& server) {
    for (;;) {
        const auto page = server.changesSince(device.cursor, 1 + pick(random, 16));
        if (page.empty()) {
            return;
        }
        std::vector<Change> changes;
        for (const auto& logged : page) {
            changes.push_back(logged.change);
        }
        device.store.apply(changes);
        device.cursor = page.back().serverSeq;
    }
}

void edit(Random& random, Device& device, const shared::Schema& schema,
          const std::map<std::string, std::vector<RecordId>>& records, History& history) {
    const auto collections = schema.collections();
    const CollectionSpec& collection = *collections[pick(random, collections.size())];
    const auto& ids = records.at(collection.name());
    const RecordId record = ids[pick(random, ids.size())];

    Change change;
    change.collection = collection.name();
    change.recordId = record;
    change.deviceId = device.id;
    change.author = "user-" + device.id.toString().substr(30);
    if (chance(random, 0.06)) {
        change.operation = chance(random, 0.5) ? Operation::Delete : Operation::Restore;
    } else {
        const FieldSpec& field = collection.fields()[pick(random, collection.fields().size())];
        change.field = field.name;
        change.value = randomValue(random, field, ids);
        change.baseVersion = device.store.fieldVersion(collection.name(), record, field.name);
        if (field.merge == MergeKind::AddWinsSet) {
            change.operation = chance(random, 0.6) ? Operation::Add : Operation::Remove;
        } else if (field.merge == MergeKind::MonotoneState && chance(random, 0.15)) {
            change.operation = Operation::Reopen;
        } else if ((field.merge == MergeKind::LastWriterWins ||
                    field.merge == MergeKind::ReviewedRegister) &&
                   chance(random, 0.05)) {
            change.value = Value::null();
        }
    }
    change.hlc = device.hlc.now();
    change.deviceSeq = ++device.seq;
    device.store.apply(std::vector{change});
    device.outbox.push_back(change);
    history.changes.push_back(change);
}

// ---- Oracle: the expected state of each field, computed from the set of changes alone -------

struct Expected {
    Value value;
    std::vector<std::string> elements;
    bool inConflict = false;
    std::vector<Value> candidates;
};

Expected expectedField(const FieldSpec& field, const std::vector<const Change*>& writes) {
    Expected expected;
    auto byKey = [](const Change* a, const Change* b) { return keyOf(*a) < keyOf(*b); };
    switch (field.merge) {
        case MergeKind::LastWriterWins:
            expected.value = (*std::max_element(writes.begin(), writes.end(), byKey))->value;
            break;
        case MergeKind::ReviewedRegister: {
            std::optional<Hlc> maxBase;
            for (const auto* write : writes) {
                if (write->baseVersion && (!maxBase || *maxBase < *write->baseVersion)) {
                    maxBase = write->baseVersion;
                }
            }
            std::vector<const Change*> candidates;
            for (const auto* write : writes) {
                if (!maxBase || *maxBase < write->hlc) {
                    candidates.push_back(write);  // nobody had seen it: it must survive
                }
            }
            std::sort(candidates.begin(), candidates.end(), byKey);
            expected.value = (*std::max_element(writes.begin(), writes.end(), byKey))->value;
            expected.inConflict = candidates.size() >= 2;
            if (expected.inConflict) {
                for (const auto* candidate : candidates) {
                    expected.candidates.push_back(candidate->value);
                }
            }
            break;
        }
        case MergeKind::AddWinsSet: {
            std::map<std::string, std::optional<Hlc>> maxAdd;
            std::map<std::string, std::optional<Hlc>> maxRemoveBase;
            for (const auto* write : writes) {
                const auto& element = write->value.as<std::string>();
                auto& slot =
                    write->operation == Operation::Add ? maxAdd[element] : maxRemoveBase[element];
                const auto stamp = write->operation == Operation::Add ? std::optional(write->hlc)
                                                                      : write->baseVersion;
                if (stamp && (!slot || *slot < *stamp)) {
                    slot = stamp;
                }
            }
            for (const auto& [element, add] : maxAdd) {
                const auto& removeBase = maxRemoveBase[element];
                if (add && (!removeBase || *removeBase < *add)) {
                    expected.elements.push_back(element);
                }
            }
            break;
        }
        case MergeKind::MonotoneState: {
            const Change* reopen = nullptr;
            for (const auto* write : writes) {
                if (write->operation == Operation::Reopen && (!reopen || byKey(reopen, write))) {
                    reopen = write;
                }
            }
            const Change* best = reopen;
            auto position = [&](const Change* c) {
                return *field.enumIndex(c->value.as<std::string>());
            };
            for (const auto* write : writes) {
                if (write->operation == Operation::Reopen || (reopen && !byKey(reopen, write))) {
                    continue;
                }
                if (!best || position(write) > position(best) ||
                    (position(write) == position(best) && byKey(best, write))) {
                    best = write;
                }
            }
            expected.value = best ? best->value : Value::null();
            break;
        }
        case MergeKind::Min:
        case MergeKind::Max: {
            const Change* best = nullptr;
            for (const auto* write : writes) {
                const int order = best ? shared::compareValues(write->value, best->value) : 0;
                const bool better = field.merge == MergeKind::Min ? order < 0 : order > 0;
                if (!best || better || (order == 0 && byKey(write, best))) {
                    best = write;
                }
            }
            expected.value = best->value;
            break;
        }
        case MergeKind::Immutable:
            expected.value = (*std::min_element(writes.begin(), writes.end(), byKey))->value;
            break;
    }
    return expected;
}

void checkAgainstOracle(const History& history, const Store& store) {
    std::map<std::tuple<std::string, RecordId, std::string>, std::vector<const Change*>> byField;
    std::map<std::pair<std::string, RecordId>, std::vector<const Change*>> tombstones;
    for (const auto& change : history.changes) {
        if (change.field.empty()) {
            tombstones[{change.collection, change.recordId}].push_back(&change);
        } else {
            byField[{change.collection, change.recordId, change.field}].push_back(&change);
        }
    }
    for (const auto& [key, writes] : byField) {
        const auto& [collection, record, fieldName] = key;
        const FieldSpec& field = *history.schema.collection(collection)->field(fieldName);
        const Expected expected = expectedField(field, writes);
        const auto stored = store.record(collection, record);
        RC_ASSERT(stored.has_value());
        const FieldValue& actual = stored->fields.at(fieldName);
        RC_ASSERT(actual.value == expected.value);
        RC_ASSERT(actual.elements == expected.elements);
        RC_ASSERT(actual.inConflict == expected.inConflict);
    }
    for (const auto& conflict : store.openConflicts()) {
        const auto& writes = byField.at({conflict.collection, conflict.recordId, conflict.field});
        const FieldSpec& field =
            *history.schema.collection(conflict.collection)->field(conflict.field);
        const Expected expected = expectedField(field, writes);
        std::vector<Value> values;
        for (const auto& candidate : conflict.candidates) {
            values.push_back(candidate.value);
        }
        RC_ASSERT(values == expected.candidates);
    }
    for (const auto& [key, changes] : tombstones) {
        const Change* lastDelete = nullptr;
        const Change* lastRestore = nullptr;
        for (const auto* change : changes) {
            auto& slot = change->operation == Operation::Delete ? lastDelete : lastRestore;
            if (!slot || keyOf(*slot) < keyOf(*change)) {
                slot = change;
            }
        }
        const bool deleted =
            lastDelete && (!lastRestore || keyOf(*lastRestore) < keyOf(*lastDelete));
        RC_ASSERT(store.record(key.first, key.second)->deleted == deleted);
    }
}

TEST(Convergence, EveryReplicaEndsIdenticalWhateverTheDeliveryOrder) {
    testing::checkProperty(kCases, [] {
        const auto deviceCount = *rc::gen::inRange<std::size_t>(2, 7).as("devices");
        const auto steps = *rc::gen::inRange(5, 120).as("steps");
        const auto seed = *rc::gen::arbitrary<std::uint64_t>().as("seed");
        Random random(seed);

        History history{randomSchema(random), {}};
        Store server(":memory:", history.schema);
        std::vector<std::unique_ptr<Device>> devices;
        for (std::size_t i = 0; i < deviceCount; ++i) {
            const auto skew = static_cast<std::int64_t>(pick(random, 20'001)) - 10'000;
            devices.push_back(std::make_unique<Device>(history.schema, seed + i, skew));
        }
        std::map<std::string, std::vector<RecordId>> records;
        for (const auto* collection : history.schema.collections()) {
            for (int i = 0; i < 3; ++i) {
                records[collection->name()].push_back(devices[0]->ids.nextRecordId());
            }
        }

        std::int64_t now = 0;
        for (int step = 0; step < steps; ++step) {
            now += static_cast<std::int64_t>(pick(random, 3000));
            for (auto& device : devices) {
                device->clock.set(kEpochMs + now + device->skew);
            }
            Device& device = *devices[pick(random, devices.size())];
            const double roll = std::uniform_real_distribution<double>(0, 1)(random);
            if (device.offlineSteps > 0) {
                --device.offlineSteps;
            }
            if (roll < 0.6) {
                edit(random, device, history.schema, records, history);
            } else if (roll < 0.9) {
                if (device.offlineSteps == 0) {
                    push(random, device, server);
                    pull(random, device, server);
                }
            } else {
                device.offlineSteps = static_cast<int>(pick(random, 40));  // goes offline
            }
        }
        // Everyone comes back online: push everything, then pull everything.
        for (auto& device : devices) {
            deliver(random, server, device->outbox);
            device->outbox.clear();
        }
        for (auto& device : devices) {
            pull(random, *device, server);
        }

        const std::string expected = server.canonicalDump();
        for (const auto& device : devices) {
            RC_ASSERT(device->store.canonicalDump() == expected);
        }
        // Fresh replicas receiving every change directly, in random orders and batches.
        for (int replica = 0; replica < 2; ++replica) {
            std::vector<Change> shuffled = history.changes;
            std::shuffle(shuffled.begin(), shuffled.end(), random);
            for (std::size_t i = 0, n = shuffled.size() / 4; i < n; ++i) {
                shuffled.push_back(shuffled[pick(random, shuffled.size())]);  // duplicates
            }
            Store fresh(":memory:", history.schema);
            deliver(random, fresh, shuffled);
            RC_ASSERT(fresh.canonicalDump() == expected);
            RC_ASSERT(fresh.checksum() == server.checksum());
        }
        checkAgainstOracle(history, server);
        RC_CLASSIFY(!server.openConflicts().empty(), "with open conflicts");
    });
}

// ---- Scopes: a replica that pulls only some scopes holds exactly those scopes' state ---------

constexpr int kScopedCases = 150;

/// Roots (Own scopes) and kids pointing at a root through the immutable "root" field, each with
/// random other fields.
shared::Schema randomScopedSchema(Random& random) {
    const auto templates = fieldTemplates();
    auto randomFields = [&](std::vector<FieldSpec> fields) {
        const std::size_t count = 1 + pick(random, 4);
        for (std::size_t f = 0; f < count; ++f) {
            FieldSpec field = templates[pick(random, templates.size())];
            field.name = "f" + std::to_string(f);
            fields.push_back(field);
        }
        return fields;
    };
    return shared::Schema({
        CollectionSpec("kids",
                       randomFields({{"root", FieldType::IdRef, MergeKind::Immutable, {}, 16}}),
                       shared::ScopeRule::parent("root", "roots")),
        CollectionSpec("roots", randomFields({})),
    });
}

TEST(Convergence, AReplicaPullingSomeScopesHoldsExactlyTheServersStateOfThem) {
    testing::checkProperty(kScopedCases, [] {
        const auto steps = *rc::gen::inRange(5, 150).as("steps");
        const auto seed = *rc::gen::arbitrary<std::uint64_t>().as("seed");
        Random random(seed);
        const shared::Schema schema = randomScopedSchema(random);
        Store server(":memory:", schema);
        Store replica(":memory:", schema);

        std::vector<std::unique_ptr<Device>> devices;
        for (std::size_t i = 0, n = 2 + pick(random, 3); i < n; ++i) {
            const auto skew = static_cast<std::int64_t>(pick(random, 20'001)) - 10'000;
            devices.push_back(std::make_unique<Device>(schema, seed + i, skew));
        }
        std::map<std::string, std::vector<RecordId>> records;
        std::map<RecordId, RecordId> parentOf;  // each kid names one root, whoever writes it
        std::set<RecordId> rooted;              // kids whose root field was written
        bool lateJoiner = false;                // a kid written before its root field
        for (int i = 0; i < 4; ++i) {
            records["roots"].push_back(devices[0]->ids.nextRecordId());
        }
        for (int i = 0; i < 8; ++i) {
            const RecordId kid = devices[0]->ids.nextRecordId();
            records["kids"].push_back(kid);
            parentOf[kid] = records["roots"][pick(random, 3)];  // the fourth root has no kids
        }
        std::vector<std::string> scopes;
        for (const auto& root : records["roots"]) {
            scopes.push_back(shared::scopeKey("roots", root));
        }
        std::map<std::string, std::uint64_t> held;  // the replica's scopes and their cursors
        for (const auto& scope : scopes) {
            if (chance(random, 0.5)) {
                held[scope] = 0;
            }
        }
        auto pullHeld = [&] {
            for (auto& [scope, cursor] : held) {
                for (;;) {
                    const auto page = server.changesSince(cursor, 1 + pick(random, 6), {scope});
                    if (page.empty()) {
                        break;
                    }
                    std::vector<Change> changes;
                    for (const auto& logged : page) {
                        RC_ASSERT(logged.serverSeq > cursor);
                        changes.push_back(logged.change);
                    }
                    replica.apply(changes);
                    cursor = page.back().serverSeq;
                }
            }
        };

        std::int64_t now = 0;
        std::vector<Change> pending;
        for (int step = 0; step < steps; ++step) {
            now += static_cast<std::int64_t>(pick(random, 3000));
            Device& device = *devices[pick(random, devices.size())];
            device.clock.set(kEpochMs + now + device.skew);
            const double roll = std::uniform_real_distribution<double>(0, 1)(random);
            if (roll < 0.7) {
                const std::string collection = chance(random, 0.6) ? "kids" : "roots";
                const auto& ids = records.at(collection);
                const RecordId record = ids[pick(random, ids.size())];
                const CollectionSpec& spec = *schema.collection(collection);
                Change change;
                change.collection = collection;
                change.recordId = record;
                change.deviceId = device.id;
                change.author = "user";
                if (chance(random, 0.05)) {
                    change.operation = chance(random, 0.5) ? Operation::Delete : Operation::Restore;
                } else {
                    const FieldSpec& field = spec.fields()[pick(random, spec.fields().size())];
                    change.field = field.name;
                    change.value = field.name == "root" ? Value::id(parentOf.at(record))
                                                        : randomValue(random, field, ids);
                    if (collection == "kids") {
                        lateJoiner |= field.name != "root" && !rooted.contains(record);
                        if (field.name == "root") {
                            rooted.insert(record);
                        }
                    }
                    change.baseVersion = server.fieldVersion(collection, record, field.name);
                    if (change.baseVersion) {
                        device.hlc.receive(*change.baseVersion);
                    }
                    if (field.merge == MergeKind::AddWinsSet) {
                        change.operation = chance(random, 0.6) ? Operation::Add : Operation::Remove;
                    } else if (field.merge == MergeKind::MonotoneState && chance(random, 0.15)) {
                        change.operation = Operation::Reopen;
                    }
                }
                change.hlc = device.hlc.now();
                change.deviceSeq = ++device.seq;
                pending.push_back(change);
            } else if (roll < 0.85) {
                deliver(random, server, pending);  // a push, in random batches
                pending.clear();
            } else if (roll < 0.95) {
                pullHeld();
            } else if (!held.empty()) {
                // A scope taken away and given back: purged, then pulled again from scratch.
                auto scope = held.begin();
                std::advance(scope, static_cast<std::ptrdiff_t>(pick(random, held.size())));
                replica.purgeScope(scope->first);
                RC_ASSERT(replica.scopeChecksum(scope->first) == replica.scopeChecksum(""));
                scope->second = 0;
            }
        }
        deliver(random, server, pending);
        pullHeld();

        for (const auto& scope : scopes) {
            if (held.contains(scope)) {
                RC_ASSERT(replica.scopeChecksum(scope) == server.scopeChecksum(scope));
            } else {
                RC_ASSERT(replica.scopeChecksum(scope) == replica.scopeChecksum(""));
            }
        }
        for (const auto& kid : records["kids"]) {
            const auto scope = server.scopeOf("kids", kid);
            RC_ASSERT(replica.record("kids", kid).has_value() == (scope && held.contains(*scope)));
        }
        RC_CLASSIFY(lateJoiner, "with a late joiner");
        // Every change of a held scope, and nothing else, arrived: a fresh replica fed the held
        // scopes in one go has the same dump.
        Store fresh(":memory:", schema);
        for (const auto& [scope, cursor] : held) {
            std::vector<Change> changes;
            for (const auto& logged : server.changesSince(0, 1'000'000, {scope})) {
                changes.push_back(logged.change);
            }
            fresh.apply(changes);
        }
        RC_ASSERT(fresh.canonicalDump() == replica.canonicalDump());
    });
}

}  // namespace
}  // namespace verdant::sync
