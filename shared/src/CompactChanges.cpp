#include "CompactChanges.hpp"

#include "Utf8.hpp"

#include "verdant/shared/ChangeCodec.hpp"

#include <bit>
#include <cstring>

namespace verdant::shared::compact {

namespace {

// The header byte of a change.
constexpr std::uint8_t kOperationBits = 0x07;
constexpr std::uint8_t kHasBase = 0x08;
constexpr std::uint8_t kExplicitNode = 0x10;      // else the node of the change's device
constexpr std::uint8_t kExplicitBaseNode = 0x20;  // else the node of the change's HLC
constexpr std::uint8_t kKnownHeaderBits = 0x3F;

constexpr std::uint64_t kMaxSequence = ChangeCodec::kMaxDeviceSeq;

void writeValue(Writer& out, const Value& value) {
    out.byte(static_cast<std::uint8_t>(value.kind()));
    switch (value.kind()) {
        case ValueKind::Null:
            break;
        case ValueKind::Bool:
            out.byte(value.as<bool>() ? 1 : 0);
            break;
        case ValueKind::Int:
            out.signedVarint(value.as<std::int64_t>());
            break;
        case ValueKind::Real:
            out.fixed64(std::bit_cast<std::uint64_t>(value.as<double>()));
            break;
        case ValueKind::String:
            out.text(value.as<std::string>());
            break;
        case ValueKind::Timestamp:
            out.signedVarint(value.as<Timestamp>().ms);
            break;
        case ValueKind::Id:
            out.id(value.as<RecordId>());
            break;
        case ValueKind::Json:
            out.text(value.as<JsonText>().text);
            break;
    }
}

std::string utf8Text(Reader& in) {
    auto text = in.text();
    if (!isUtf8(text)) {
        malformed("The message has a string value that is not UTF-8 text.");
    }
    return text;
}

Value readValue(Reader& in) {
    switch (static_cast<ValueKind>(in.byte())) {
        case ValueKind::Null:
            return Value::null();
        case ValueKind::Bool: {
            const auto flag = in.byte();
            if (flag > 1) {
                malformed("A boolean in the request is malformed.");
            }
            return Value::boolean(flag == 1);
        }
        case ValueKind::Int:
            return Value::integer(in.signedVarint());
        case ValueKind::Real:
            return Value::real(std::bit_cast<double>(in.fixed64()));
        case ValueKind::String:
            return Value::string(utf8Text(in));
        case ValueKind::Timestamp:
            return Value::timestamp(in.signedVarint());
        case ValueKind::Id:
            return Value::id(in.id<RecordIdTag>());
        case ValueKind::Json:
            return Value::json(utf8Text(in));
    }
    malformed("A value in the request has an unknown kind.");
}

std::uint16_t readLogical(Reader& in) {
    const auto logical = in.varint();
    if (logical > 0xFFFF) {
        malformed("The binary message has an HLC counter out of range.");
    }
    return static_cast<std::uint16_t>(logical);
}

bool sameRecord(const Change& a, const Change& b) {
    return a.recordId == b.recordId && a.collection == b.collection;
}

}  // namespace

// ---- writing ------------------------------------------------------------------------------------

void ChangeListWriter::write(Writer& out, const std::vector<Change>& changes) {
    writeRuns(
        out, changes, [](const Change& change) -> const Change& { return change; },
        [](const Change&) {});
}

void ChangeListWriter::write(Writer& out, const std::vector<PulledChange>& changes) {
    writeRuns(
        out, changes, [](const PulledChange& pulled) -> const Change& { return pulled.change; },
        [this, &out](const PulledChange& pulled) {
            out.delta(_lastServerSeq, pulled.serverSeq);
            _lastServerSeq = pulled.serverSeq;
        });
}

template <class Item, class ChangeOf, class Before>
void ChangeListWriter::writeRuns(Writer& out, const std::vector<Item>& items, ChangeOf changeOf,
                                 Before before) {
    std::size_t runs = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
        runs += i == 0 || !sameRecord(changeOf(items[i - 1]), changeOf(items[i])) ? 1 : 0;
    }
    out.varint(runs);
    for (std::size_t start = 0; start < items.size();) {
        const Change& first = changeOf(items[start]);
        std::size_t end = start + 1;
        while (end < items.size() && sameRecord(first, changeOf(items[end]))) {
            ++end;
        }
        out.varint(_strings.indexOf(first.collection));
        out.id(first.recordId);
        out.varint(end - start);
        for (; start < end; ++start) {
            before(items[start]);
            writeChange(out, changeOf(items[start]));
        }
    }
}

void ChangeListWriter::writeChange(Writer& out, const Change& change) {
    const auto device = _devices.indexOf(change.deviceId);
    if (device >= _lastSeq.size()) {
        _lastSeq.resize(device + 1, 0);
    }
    const bool explicitNode = change.hlc.node != nodeIdOf(change.deviceId);
    const bool explicitBaseNode = change.baseVersion && change.baseVersion->node != change.hlc.node;
    out.byte(static_cast<std::uint8_t>(
        static_cast<std::uint8_t>(change.operation) | (change.baseVersion ? kHasBase : 0) |
        (explicitNode ? kExplicitNode : 0) | (explicitBaseNode ? kExplicitBaseNode : 0)));
    out.varint(_strings.indexOf(change.field));
    out.varint(device);
    out.delta(_lastSeq[device], change.deviceSeq);
    _lastSeq[device] = change.deviceSeq;
    out.varint(_strings.indexOf(change.author));
    out.delta(_lastPhysicalMs, change.hlc.physicalMs);
    _lastPhysicalMs = change.hlc.physicalMs;
    out.varint(change.hlc.logical);
    if (explicitNode) {
        out.fixed64(change.hlc.node);
    }
    if (change.baseVersion) {
        out.delta(change.hlc.physicalMs, change.baseVersion->physicalMs);
        out.varint(change.baseVersion->logical);
        if (explicitBaseNode) {
            out.fixed64(change.baseVersion->node);
        }
    }
    writeValue(out, change.value);
}

// ---- reading ------------------------------------------------------------------------------------

std::vector<Change> ChangeListReader::readChanges(Reader& in) {
    return readRuns<Change>(
        in, [this](Reader& input, const std::string& collection, const RecordId& record) {
            return readChange(input, collection, record);
        });
}

std::vector<PulledChange> ChangeListReader::readPulled(Reader& in) {
    return readRuns<PulledChange>(
        in, [this](Reader& input, const std::string& collection, const RecordId& record) {
            PulledChange pulled;
            pulled.serverSeq = input.delta(_lastServerSeq, 1, kMaxSequence);
            _lastServerSeq = pulled.serverSeq;
            pulled.change = readChange(input, collection, record);
            return pulled;
        });
}

template <class Item, class Read>
std::vector<Item> ChangeListReader::readRuns(Reader& in, Read read) {
    std::vector<Item> items;
    // A run takes at least 19 bytes: collection, record id, count and one change's header.
    const auto runs = in.count(19);
    for (std::size_t run = 0; run < runs; ++run) {
        const auto& collection = _strings.next(in);
        const auto record = in.id<RecordIdTag>();
        const auto count = in.count();
        _changes += count;
        if (count == 0 || _changes > ChangeCodec::kMaxBatchChanges) {
            malformed("The binary message has an empty or oversized run of changes.");
        }
        // Grown as changes decode: the count only bounds the loop.
        for (std::size_t i = 0; i < count; ++i) {
            items.push_back(read(in, collection, record));
        }
    }
    return items;
}

Change ChangeListReader::readChange(Reader& in, const std::string& collection,
                                    const RecordId& record) {
    Change change;
    change.collection = collection;
    change.recordId = record;
    const auto header = in.byte();
    if ((header & ~kKnownHeaderBits) != 0 ||
        (header & kOperationBits) > static_cast<std::uint8_t>(Operation::Restore)) {
        malformed("A change in the request has an unknown operation.");
    }
    change.operation = static_cast<Operation>(header & kOperationBits);
    change.field = _strings.next(in);
    const auto device = _devices.nextIndex(in);
    change.deviceId = _devices.at(device);
    const auto seq = Reader::offset(_lastSeq[device], in.signedVarint(), 1, kMaxSequence);
    if (!seq) {
        throw Error(ErrorCode::InvalidParameter,
                    "A change's seq must be a whole number from 1 to 9223372036854775807.");
    }
    change.deviceSeq = *seq;
    _lastSeq[device] = change.deviceSeq;
    change.author = _strings.next(in);
    change.hlc.physicalMs = in.delta(_lastPhysicalMs, 0, Hlc::kMaxPhysicalMs);
    _lastPhysicalMs = change.hlc.physicalMs;
    change.hlc.logical = readLogical(in);
    change.hlc.node = (header & kExplicitNode) != 0 ? in.fixed64() : nodeIdOf(change.deviceId);
    if ((header & kHasBase) != 0) {
        Hlc base;
        base.physicalMs = in.delta(change.hlc.physicalMs, 0, Hlc::kMaxPhysicalMs);
        base.logical = readLogical(in);
        base.node = (header & kExplicitBaseNode) != 0 ? in.fixed64() : change.hlc.node;
        change.baseVersion = base;
    } else if ((header & kExplicitBaseNode) != 0) {
        malformed("A change in the request is malformed.");
    }
    change.value = readValue(in);
    return change;
}

}  // namespace verdant::shared::compact
