#pragma once

#include "CompactWire.hpp"

#include "verdant/shared/Change.hpp"
#include "verdant/shared/SyncMessages.hpp"

#include <cstdint>
#include <vector>

// Private to verdant_shared: lists of changes in the compact binary form (format 2). A list is
// a count of runs, each run the changes of one record in a row: the collection (a string-table
// number) and record id once, then per change a header byte, field, device, device-sequence
// delta, author, HLC delta and value. The layout is documented in docs/protocol.md.

namespace verdant::shared::compact {

/// Writes the change lists of one message, filling its tables; deltas (HLC time, each device's
/// sequence, server sequence) run on from one list to the next. Not thread-safe.
class ChangeListWriter {
public:
    ChangeListWriter(StringTable& strings, DeviceTable& devices)
        : _strings(strings), _devices(devices) {}

    /// Pushed changes, in order.
    void write(Writer& out, const std::vector<Change>& changes);
    /// Pulled changes, each after its server sequence, in order.
    void write(Writer& out, const std::vector<PulledChange>& changes);

private:
    /// Writes `items` as runs; `before(item)` writes what precedes an item's change.
    template <class Item, class ChangeOf, class Before>
    void writeRuns(Writer& out, const std::vector<Item>& items, ChangeOf changeOf, Before before);
    void writeChange(Writer& out, const Change& change);

    StringTable& _strings;
    DeviceTable& _devices;
    std::vector<std::uint64_t> _lastSeq;  // per device-table index
    std::uint64_t _lastPhysicalMs = 0;
    std::uint64_t _lastServerSeq = 0;
};

/// Reads the change lists of one message against its tables, checking every index, count and
/// range (Error(InvalidRequest); a device sequence outside 1..2^63-1 is InvalidParameter, as in
/// every encoding). Text that is not UTF-8 is refused. Not thread-safe.
class ChangeListReader {
public:
    ChangeListReader(const ReadStrings& strings, const ReadDevices& devices)
        : _strings(strings), _devices(devices), _lastSeq(devices.size(), 0) {}

    std::vector<Change> readChanges(Reader& in);
    std::vector<PulledChange> readPulled(Reader& in);

private:
    template <class Item, class Read>
    std::vector<Item> readRuns(Reader& in, Read read);
    Change readChange(Reader& in, const std::string& collection, const RecordId& record);

    const ReadStrings& _strings;
    const ReadDevices& _devices;
    std::vector<std::uint64_t> _lastSeq;  // per device-table index
    std::uint64_t _lastPhysicalMs = 0;
    std::uint64_t _lastServerSeq = 0;
    std::size_t _changes = 0;  // read so far in the message
};

}  // namespace verdant::shared::compact
