// The stored form of merge states (white-box: sync's private codec). A state written with
// references to its log rows reads back equal, whatever members it uses; bytes that are cut or
// name a write the log lacks are a clear InternalError, never a wrong state.

#include "StoredState.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <gtest/gtest.h>

#include <map>

namespace verdant::sync {
namespace {

using shared::DeviceId;
using shared::Hlc;
using shared::Value;

DeviceId deviceNumber(std::uint8_t n) {
    DeviceId::Bytes bytes{};
    bytes.back() = n;
    return DeviceId(bytes);
}

Write write(std::uint8_t device, std::uint64_t seq, std::uint64_t ms, Value value) {
    Hlc hlc;
    hlc.physicalMs = ms;
    hlc.node = device;
    return Write{shared::ChangeKey{hlc, deviceNumber(device), seq}, "author-" + std::to_string(seq),
                 std::move(value)};
}

/// A log of writes by (device ref, seq): device ref n is deviceNumber(n).
class FakeLog {
public:
    void add(const Write& write) {
        _writes[{write.key.device.bytes().back(), write.key.deviceSeq}] = write;
    }
    std::vector<std::uint8_t> store(const FieldState& state) const {
        codec::ByteWriter out;
        writeStoredFieldState(out, state, [](const DeviceId& device) {
            return static_cast<std::int64_t>(device.bytes().back());
        });
        return out.bytes();
    }
    FieldState read(std::span<const std::uint8_t> stored) const {
        return readStoredFieldState(stored, [this](const WriteRef& ref) {
            const auto found = _writes.find({ref.deviceRef, ref.deviceSeq});
            if (found == _writes.end()) {
                throw shared::Error(shared::ErrorCode::InternalError, "missing");
            }
            return found->second;
        });
    }

private:
    std::map<std::pair<std::int64_t, std::uint64_t>, Write> _writes;
};

TEST(StoredFieldState, EveryMemberReadsBackEqual) {
    FakeLog log;
    const auto first = write(1, 7, 1'000, Value::string("first"));
    const auto second = write(2, 300, 2'000, Value::integer(42));
    const auto reopen = write(1, 9, 3'000, Value::string("in_progress"));
    for (const auto& w : {first, second, reopen}) {
        log.add(w);
    }
    FieldState lww;
    lww.version = second.key.hlc;
    lww.writes = {second};
    FieldState reviewed;  // a version above every candidate: a covered write was dropped
    reviewed.version = Hlc{5'000, 0, 3};
    reviewed.maxBase = first.key.hlc;
    reviewed.writes = {first, second};
    FieldState monotone;
    monotone.version = reopen.key.hlc;
    monotone.writes = {first};
    monotone.reopen = reopen;
    FieldState set;
    set.version = Hlc{4'000, 1, 2};
    set.elements["a"] = SetElement{first.key, std::nullopt};
    set.elements["b"] = SetElement{second.key, Hlc{4'000, 1, 2}};
    for (const FieldState& state : {lww, reviewed, monotone, set, FieldState{}}) {
        EXPECT_EQ(log.read(log.store(state)), state);
    }
    // The common case costs a few bytes: no HLC, author or value is repeated.
    EXPECT_LE(log.store(lww).size(), 6U);
}

TEST(StoredFieldState, CutBytesOrAWriteMissingFromTheLogAreInternalErrors) {
    FakeLog log;
    const auto kept = write(1, 1, 1'000, Value::string("kept"));
    log.add(kept);
    FieldState state;
    state.version = Hlc{9'000, 0, 1};
    state.writes = {kept};
    const auto stored = log.store(state);
    for (std::size_t size = 0; size < stored.size(); ++size) {
        try {
            log.read(std::span(stored).first(size));
            FAIL() << "read a state cut to " << size << " bytes";
        } catch (const shared::Error& error) {
            EXPECT_EQ(error.code(), shared::ErrorCode::InternalError);
        }
    }
    FieldState other;
    other.version = Hlc{1'000, 0, 2};
    other.writes = {write(2, 5, 1'000, Value::null())};
    EXPECT_THROW(log.read(log.store(other)), shared::Error);
}

}  // namespace
}  // namespace verdant::sync
