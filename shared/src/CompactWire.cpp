#include "CompactWire.hpp"

#include "Utf8.hpp"

#include "verdant/shared/ChangeCodec.hpp"

#include <cstring>

namespace verdant::shared::compact {

void malformed(const char* message) {
    throw Error(ErrorCode::InvalidRequest, message);
}

// ---- Writer -------------------------------------------------------------------------------------

void Writer::varint(std::uint64_t value) {
    while (value >= 0x80) {
        byte(static_cast<std::uint8_t>(value | 0x80));
        value >>= 7;
    }
    byte(static_cast<std::uint8_t>(value));
}

void Writer::signedVarint(std::int64_t value) {
    const auto bits = static_cast<std::uint64_t>(value);
    varint((bits << 1) ^ (value < 0 ? ~std::uint64_t{0} : 0));
}

void Writer::delta(std::uint64_t previous, std::uint64_t current) {
    // Both are at most 2^63-1, so the difference fits a signed 64-bit number; the unsigned
    // subtraction wraps to its two's complement.
    signedVarint(static_cast<std::int64_t>(current - previous));
}

void Writer::text(std::string_view text) {
    varint(text.size());
    raw(text.data(), text.size());
}

void Writer::raw(const void* data, std::size_t size) {
    _bytes.append(static_cast<const char*>(data), size);
}

void Writer::fixed64(std::uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        byte(static_cast<std::uint8_t>(value >> shift));
    }
}

// ---- Reader -------------------------------------------------------------------------------------

void Reader::take(void* out, std::size_t size) {
    if (size > remaining()) {
        malformed("The binary message is truncated.");
    }
    std::memcpy(out, _bytes.data() + _position, size);
    _position += size;
}

std::uint8_t Reader::byte() {
    std::uint8_t value = 0;
    take(&value, 1);
    return value;
}

std::uint64_t Reader::varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        const auto next = byte();
        // The tenth byte holds bit 63 only.
        if (shift == 63 && next > 1) {
            malformed("The binary message has a number past 64 bits.");
        }
        value |= static_cast<std::uint64_t>(next & 0x7F) << shift;
        if ((next & 0x80) == 0) {
            return value;
        }
    }
    malformed("The binary message has a number past 64 bits.");
}

std::int64_t Reader::signedVarint() {
    const auto bits = varint();
    return static_cast<std::int64_t>((bits >> 1) ^ (~(bits & 1) + 1));
}

std::optional<std::uint64_t> Reader::offset(std::uint64_t previous, std::int64_t step,
                                            std::uint64_t min, std::uint64_t max) noexcept {
    std::uint64_t result = 0;
    if (step >= 0) {
        const auto up = static_cast<std::uint64_t>(step);
        if (previous > max || up > max - previous) {
            return std::nullopt;
        }
        result = previous + up;
    } else {
        // -(step + 1) + 1 cannot overflow, also for the smallest int64.
        const auto down = static_cast<std::uint64_t>(-(step + 1)) + 1;
        if (down > previous) {
            return std::nullopt;
        }
        result = previous - down;
    }
    if (result < min || result > max) {
        return std::nullopt;
    }
    return result;
}

std::uint64_t Reader::delta(std::uint64_t previous, std::uint64_t min, std::uint64_t max) {
    const auto result = offset(previous, signedVarint(), min, max);
    if (!result) {
        malformed("The binary message has a number out of range.");
    }
    return *result;
}

std::size_t Reader::count(std::size_t elementBytes) {
    const auto value = varint();
    if (value > kMaxElements || value * elementBytes > remaining()) {
        malformed("The binary message counts more elements than it holds.");
    }
    return static_cast<std::size_t>(value);
}

std::string Reader::text() {
    const auto size = varint();
    if (size > remaining() || size > ChangeCodec::kMaxWireStringBytes) {
        malformed("The binary message has a string longer than what remains of it.");
    }
    std::string result(static_cast<std::size_t>(size), '\0');
    take(result.data(), result.size());
    return result;
}

std::uint64_t Reader::fixed64() {
    std::uint8_t bytes[8] = {};
    take(bytes, sizeof bytes);
    std::uint64_t value = 0;
    for (const auto b : bytes) {
        value = (value << 8) | b;
    }
    return value;
}

void Reader::requireEnd() const {
    if (remaining() != 0) {
        malformed("The binary message has trailing bytes.");
    }
}

// ---- tables -------------------------------------------------------------------------------------

std::uint64_t StringTable::indexOf(const std::string& text) {
    const auto [found, added] = _index.try_emplace(text, _order.size());
    if (added) {
        _order.push_back(&found->first);
    }
    return found->second;
}

void StringTable::write(Writer& out) const {
    out.varint(_order.size());
    for (const auto* text : _order) {
        out.text(*text);
    }
}

std::uint64_t DeviceTable::indexOf(const DeviceId& device) {
    const auto [found, added] = _index.try_emplace(device, _order.size());
    if (added) {
        _order.push_back(device);
    }
    return found->second;
}

void DeviceTable::write(Writer& out) const {
    out.varint(_order.size());
    for (const auto& device : _order) {
        out.id(device);
    }
}

ReadStrings::ReadStrings(Reader& in) {
    const auto count = in.count();
    for (std::size_t i = 0; i < count; ++i) {
        auto text = in.text();
        if (!isUtf8(text)) {
            malformed("The message has a name that is not UTF-8 text.");
        }
        _strings.push_back(std::move(text));
    }
}

const std::string& ReadStrings::next(Reader& in) const {
    const auto index = in.varint();
    if (index >= _strings.size()) {
        malformed("The binary message refers to a string it does not hold.");
    }
    return _strings[static_cast<std::size_t>(index)];
}

ReadDevices::ReadDevices(Reader& in) {
    const auto count = in.count(16);
    for (std::size_t i = 0; i < count; ++i) {
        _devices.push_back(in.id<DeviceIdTag>());
    }
}

std::size_t ReadDevices::nextIndex(Reader& in) const {
    const auto index = in.varint();
    if (index >= _devices.size()) {
        malformed("The binary message refers to a device it does not hold.");
    }
    return static_cast<std::size_t>(index);
}

}  // namespace verdant::shared::compact
