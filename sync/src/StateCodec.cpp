#include "StateCodec.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <bit>
#include <cstring>
#include <type_traits>

namespace verdant::sync::codec {

using shared::Hlc;
using shared::Value;
using shared::ValueKind;

namespace {

[[noreturn]] void corrupt() {
    throw shared::Error(shared::ErrorCode::InternalError, "The store holds a corrupt record.");
}

void writeHlc(ByteWriter& out, const Hlc& hlc) {
    out.raw(hlc.toBinary());
}

Hlc readHlc(ByteReader& in) {
    return *Hlc::fromBinary(in.raw(Hlc::kBinarySize));
}

void writeOptionalHlc(ByteWriter& out, const std::optional<Hlc>& hlc) {
    out.u8(hlc ? 1 : 0);
    if (hlc) {
        writeHlc(out, *hlc);
    }
}

std::optional<Hlc> readOptionalHlc(ByteReader& in) {
    if (in.u8() == 0) {
        return std::nullopt;
    }
    return readHlc(in);
}

void writeKey(ByteWriter& out, const shared::ChangeKey& key) {
    writeHlc(out, key.hlc);
    out.raw(key.device.bytes());
    out.u64(key.deviceSeq);
}

shared::ChangeKey readKey(ByteReader& in) {
    shared::ChangeKey key;
    key.hlc = readHlc(in);
    shared::DeviceId::Bytes device{};
    const auto bytes = in.raw(device.size());
    std::memcpy(device.data(), bytes.data(), device.size());
    key.device = shared::DeviceId(device);
    key.deviceSeq = in.u64();
    return key;
}

void writeWrite(ByteWriter& out, const Write& write) {
    writeKey(out, write.key);
    out.string(write.author);
    writeValue(out, write.value);
}

Write readWrite(ByteReader& in) {
    Write write;
    write.key = readKey(in);
    write.author = in.string();
    write.value = readValue(in);
    return write;
}

void writeOptionalWrite(ByteWriter& out, const std::optional<Write>& write) {
    out.u8(write ? 1 : 0);
    if (write) {
        writeWrite(out, *write);
    }
}

std::optional<Write> readOptionalWrite(ByteReader& in) {
    if (in.u8() == 0) {
        return std::nullopt;
    }
    return readWrite(in);
}

}  // namespace

void ByteWriter::u64(std::uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        _bytes.push_back(static_cast<std::uint8_t>(value >> shift));
    }
}

void ByteWriter::varint(std::uint64_t value) {
    while (value >= 0x80) {
        _bytes.push_back(static_cast<std::uint8_t>(value | 0x80));
        value >>= 7;
    }
    _bytes.push_back(static_cast<std::uint8_t>(value));
}

void ByteWriter::string(std::string_view text) {
    varint(text.size());
    const auto* data = reinterpret_cast<const std::uint8_t*>(text.data());
    _bytes.insert(_bytes.end(), data, data + text.size());
}

std::uint8_t ByteReader::u8() {
    if (_offset >= _bytes.size()) {
        corrupt();
    }
    return _bytes[_offset++];
}

std::uint64_t ByteReader::u64() {
    const auto bytes = raw(8);
    std::uint64_t value = 0;
    for (const auto byte : bytes) {
        value = (value << 8) | byte;
    }
    return value;
}

std::span<const std::uint8_t> ByteReader::raw(std::size_t size) {
    if (size > _bytes.size() - _offset) {
        corrupt();
    }
    const auto bytes = _bytes.subspan(_offset, size);
    _offset += size;
    return bytes;
}

std::uint64_t ByteReader::varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        const std::uint8_t byte = u8();
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            return value;
        }
    }
    corrupt();
}

std::string ByteReader::string() {
    const auto size = varint();
    const auto bytes = raw(static_cast<std::size_t>(size));
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void writeValue(ByteWriter& out, const Value& value) {
    out.u8(static_cast<std::uint8_t>(value.kind()));
    switch (value.kind()) {
        case ValueKind::Null:
            break;
        case ValueKind::Bool:
            out.u8(value.as<bool>() ? 1 : 0);
            break;
        case ValueKind::Int:
            out.u64(static_cast<std::uint64_t>(value.as<std::int64_t>()));
            break;
        case ValueKind::Real:
            out.u64(std::bit_cast<std::uint64_t>(value.as<double>()));
            break;
        case ValueKind::String:
            out.string(value.as<std::string>());
            break;
        case ValueKind::Timestamp:
            out.u64(static_cast<std::uint64_t>(value.as<shared::Timestamp>().ms));
            break;
        case ValueKind::Id:
            out.raw(value.as<shared::RecordId>().bytes());
            break;
        case ValueKind::Json:
            out.string(value.as<shared::JsonText>().text);
            break;
    }
}

Value readValue(ByteReader& in) {
    switch (static_cast<ValueKind>(in.u8())) {
        case ValueKind::Null:
            return Value::null();
        case ValueKind::Bool:
            return Value::boolean(in.u8() != 0);
        case ValueKind::Int:
            return Value::integer(static_cast<std::int64_t>(in.u64()));
        case ValueKind::Real:
            return Value::real(std::bit_cast<double>(in.u64()));
        case ValueKind::String:
            return Value::string(in.string());
        case ValueKind::Timestamp:
            return Value::timestamp(static_cast<std::int64_t>(in.u64()));
        case ValueKind::Id: {
            shared::RecordId::Bytes bytes{};
            const auto raw = in.raw(bytes.size());
            std::memcpy(bytes.data(), raw.data(), bytes.size());
            return Value::id(shared::RecordId(bytes));
        }
        case ValueKind::Json:
            return Value::json(in.string());
    }
    corrupt();
}

std::vector<std::uint8_t> encodeValue(const Value& value) {
    ByteWriter out;
    writeValue(out, value);
    return out.bytes();
}

Value decodeValue(std::span<const std::uint8_t> bytes) {
    ByteReader in(bytes);
    Value value = readValue(in);
    if (!in.atEnd()) {
        corrupt();
    }
    return value;
}

void writeFieldState(ByteWriter& out, const FieldState& state) {
    writeOptionalHlc(out, state.version);
    writeOptionalHlc(out, state.maxBase);
    out.varint(state.writes.size());
    for (const auto& write : state.writes) {
        writeWrite(out, write);
    }
    writeOptionalWrite(out, state.reopen);
    writeSetElements(out, state.elements);
}

void writeSetElements(ByteWriter& out, const std::map<std::string, SetElement>& elements) {
    out.varint(elements.size());
    for (const auto& [element, elementState] : elements) {
        out.string(element);
        out.u8(elementState.lastAdd ? 1 : 0);
        if (elementState.lastAdd) {
            writeKey(out, *elementState.lastAdd);
        }
        writeOptionalHlc(out, elementState.lastRemoveBase);
    }
}

std::map<std::string, SetElement> readSetElements(ByteReader& in) {
    std::map<std::string, SetElement> elements;
    const auto count = in.varint();
    for (std::uint64_t i = 0; i < count; ++i) {
        std::string element = in.string();
        SetElement elementState;
        if (in.u8() != 0) {
            elementState.lastAdd = readKey(in);
        }
        elementState.lastRemoveBase = readOptionalHlc(in);
        elements.emplace_hint(elements.end(), std::move(element), elementState);
    }
    return elements;
}

FieldState decodeFieldState(std::span<const std::uint8_t> bytes) {
    ByteReader in(bytes);
    FieldState state;
    state.version = readOptionalHlc(in);
    state.maxBase = readOptionalHlc(in);
    const auto writeCount = in.varint();
    for (std::uint64_t i = 0; i < writeCount; ++i) {
        state.writes.push_back(readWrite(in));
    }
    state.reopen = readOptionalWrite(in);
    state.elements = readSetElements(in);
    if (!in.atEnd()) {
        corrupt();
    }
    return state;
}

void writeRecordState(ByteWriter& out, const RecordState& state) {
    writeOptionalWrite(out, state.lastDelete);
    writeOptionalWrite(out, state.lastRestore);
}

RecordState decodeRecordState(std::span<const std::uint8_t> bytes) {
    ByteReader in(bytes);
    RecordState state;
    state.lastDelete = readOptionalWrite(in);
    state.lastRestore = readOptionalWrite(in);
    if (!in.atEnd()) {
        corrupt();
    }
    return state;
}

std::string toHex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    text.reserve(bytes.size() * 2);
    for (const auto byte : bytes) {
        text.push_back(kDigits[byte >> 4]);
        text.push_back(kDigits[byte & 0x0f]);
    }
    return text;
}

}  // namespace verdant::sync::codec
