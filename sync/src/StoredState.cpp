#include "StoredState.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/StoreBackend.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace verdant::sync {

namespace {

// Flags, the first byte of a stored state.
constexpr std::uint8_t kVersionKept = 1;      // the version follows (16 bytes)
constexpr std::uint8_t kVersionOfWrites = 2;  // the version is the highest HLC of the writes
constexpr std::uint8_t kMaxBase = 4;          // maxBase follows
constexpr std::uint8_t kReopen = 8;           // a reference to the reopen write follows

[[noreturn]] void missing() {
    throw shared::Error(shared::ErrorCode::InternalError,
                        "The store holds a merge state whose change is missing from its log.");
}

std::optional<shared::Hlc> highestWriteHlc(const FieldState& state) {
    std::optional<shared::Hlc> highest;
    for (const auto& write : state.writes) {
        if (!highest || *highest < write.key.hlc) {
            highest = write.key.hlc;
        }
    }
    return highest;
}

void writeRef(codec::ByteWriter& out, const Write& write,
              const std::function<std::int64_t(const shared::DeviceId&)>& deviceRefOf) {
    out.varint(static_cast<std::uint64_t>(deviceRefOf(write.key.device)));
    out.varint(write.key.deviceSeq);
}

WriteRef readRef(codec::ByteReader& in) {
    WriteRef ref;
    ref.deviceRef = static_cast<std::int64_t>(in.varint());
    ref.deviceSeq = in.varint();
    return ref;
}

}  // namespace

void writeStoredFieldState(
    codec::ByteWriter& out, const FieldState& state,
    const std::function<std::int64_t(const shared::DeviceId&)>& deviceRefOf) {
    const bool versionOfWrites = state.version && state.version == highestWriteHlc(state);
    std::uint8_t flags = 0;
    if (state.version) {
        flags |= versionOfWrites ? kVersionOfWrites : kVersionKept;
    }
    flags |= state.maxBase ? kMaxBase : 0;
    flags |= state.reopen ? kReopen : 0;
    out.u8(flags);
    if ((flags & kVersionKept) != 0) {
        out.raw(state.version->toBinary());
    }
    if (state.maxBase) {
        out.raw(state.maxBase->toBinary());
    }
    out.varint(state.writes.size());
    for (const auto& write : state.writes) {
        writeRef(out, write, deviceRefOf);
    }
    if (state.reopen) {
        writeRef(out, *state.reopen, deviceRefOf);
    }
    codec::writeSetElements(out, state.elements);
}

namespace {

shared::Hlc readHlc(codec::ByteReader& in) {
    if (auto hlc = shared::Hlc::fromBinary(in.raw(shared::Hlc::kBinarySize))) {
        return *hlc;
    }
    throw shared::Error(shared::ErrorCode::InternalError, "The store holds a corrupt timestamp.");
}

}  // namespace

FieldState readStoredFieldState(std::span<const std::uint8_t> stored,
                                const std::function<Write(const WriteRef&)>& writeOf) {
    codec::ByteReader in(stored);
    FieldState state;
    const std::uint8_t flags = in.u8();
    if ((flags & kVersionKept) != 0) {
        state.version = readHlc(in);
    }
    if ((flags & kMaxBase) != 0) {
        state.maxBase = readHlc(in);
    }
    const auto writeCount = in.varint();
    for (std::uint64_t i = 0; i < writeCount; ++i) {
        state.writes.push_back(writeOf(readRef(in)));
    }
    if ((flags & kReopen) != 0) {
        state.reopen = writeOf(readRef(in));
    }
    if ((flags & kVersionOfWrites) != 0) {
        state.version = highestWriteHlc(state);
    }
    state.elements = codec::readSetElements(in);
    if (!in.atEnd() || ((flags & kVersionOfWrites) != 0 && !state.version)) {
        throw shared::Error(shared::ErrorCode::InternalError, "The store holds a corrupt record.");
    }
    return state;
}

FieldState StoredStateReader::state(std::span<const std::uint8_t> stored) {
    return readStoredFieldState(stored, [this](const WriteRef& ref) { return writeAt(ref); });
}

std::vector<std::uint8_t> StoredStateReader::canonical(std::span<const std::uint8_t> stored) {
    codec::ByteWriter out;
    codec::writeFieldState(out, state(stored));
    return out.bytes();
}

Write StoredStateReader::writeAt(const WriteRef& ref) {
    auto write = _backend.loggedWrite(ref.deviceRef, ref.deviceSeq);
    if (!write) {
        missing();
    }
    return std::move(*write);
}

}  // namespace verdant::sync
