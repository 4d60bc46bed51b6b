#include "CompactSyncMessages.hpp"

#include "CompactChanges.hpp"
#include "CompactWire.hpp"
#include "Utf8.hpp"

#include "verdant/shared/ChangeCodec.hpp"

#include <limits>

namespace verdant::shared::compact {

namespace {

constexpr auto kVersion = static_cast<std::uint8_t>(BinaryFormat::V2);
constexpr std::uint64_t kMaxSequence = ChangeCodec::kMaxDeviceSeq;

// Flags of a pull page.
constexpr std::uint8_t kSnapshot = 0x01;
constexpr std::uint8_t kMore = 0x02;
// Flags of a push result.
constexpr std::uint8_t kHasError = 0x01;
constexpr std::uint8_t kHasServerSeq = 0x02;

/// Decodes `bytes` with `read` after checking the version byte; refuses trailing bytes.
template <class Message, class Read>
Message decode(std::string_view bytes, Read&& read) {
    Reader in(bytes);
    if (in.byte() != kVersion) {
        malformed("The binary message format version is unknown.");
    }
    Message message = read(in);
    in.requireEnd();
    return message;
}

std::uint8_t flagsWithin(Reader& in, std::uint8_t known) {
    const auto flags = in.byte();
    if ((flags & ~known) != 0) {
        malformed("The binary message has unknown flags.");
    }
    return flags;
}

std::string scopeName(Reader& in) {
    auto scope = in.text();
    if (!isUtf8(scope)) {
        malformed("The message has a scope name that is not UTF-8 text.");
    }
    return scope;
}

/// The header of a message: version byte, then its string and device tables.
std::string withTables(const Writer& body, const StringTable& strings, const DeviceTable* devices,
                       const DeviceId* sender) {
    Writer out;
    out.byte(kVersion);
    if (sender != nullptr) {
        out.id(*sender);
    }
    strings.write(out);
    if (devices != nullptr) {
        devices->write(out);
    }
    out.append(body);
    return out.take();
}

}  // namespace

// ---- push ---------------------------------------------------------------------------------------
//
// request:  version, device id, strings, devices, change list
// response: version, strings (outcomes), count, per result: flags, device-seq delta, outcome,
//           [error number, message], [server-seq delta]; then the high-water mark

std::string encode(const PushRequest& message) {
    StringTable strings;
    DeviceTable devices;
    Writer body;
    ChangeListWriter(strings, devices).write(body, message.changes);
    return withTables(body, strings, &devices, &message.deviceId);
}

PushRequest decodePushRequest(std::string_view bytes) {
    return decode<PushRequest>(bytes, [](Reader& in) {
        PushRequest message;
        message.deviceId = in.id<DeviceIdTag>();
        const ReadStrings strings(in);
        const ReadDevices devices(in);
        message.changes = ChangeListReader(strings, devices).readChanges(in);
        return message;
    });
}

std::string encode(const PushResponse& message) {
    StringTable strings;
    Writer body;
    body.varint(message.results.size());
    std::uint64_t lastDeviceSeq = 0;
    std::uint64_t lastServerSeq = 0;
    for (const auto& result : message.results) {
        body.byte(static_cast<std::uint8_t>((result.error ? kHasError : 0) |
                                            (result.serverSeq ? kHasServerSeq : 0)));
        body.delta(lastDeviceSeq, result.deviceSeq);
        lastDeviceSeq = result.deviceSeq;
        body.varint(strings.indexOf(result.outcome));
        if (result.error) {
            body.varint(static_cast<std::uint16_t>(*result.error));
        }
        body.text(result.message);
        if (result.serverSeq) {
            body.delta(lastServerSeq, *result.serverSeq);
            lastServerSeq = *result.serverSeq;
        }
    }
    body.varint(message.highWaterMark);
    return withTables(body, strings, nullptr, nullptr);
}

PushResponse decodePushResponse(std::string_view bytes) {
    return decode<PushResponse>(bytes, [](Reader& in) {
        PushResponse message;
        const ReadStrings strings(in);
        // A result takes at least 4 bytes: flags, delta, outcome, message length.
        const auto count = in.count(4);
        std::uint64_t lastDeviceSeq = 0;
        std::uint64_t lastServerSeq = 0;
        for (std::size_t i = 0; i < count; ++i) {
            PushResult result;
            const auto flags = flagsWithin(in, kHasError | kHasServerSeq);
            result.deviceSeq = lastDeviceSeq = in.delta(lastDeviceSeq, 0, kMaxSequence);
            result.outcome = strings.next(in);
            if ((flags & kHasError) != 0) {
                const auto number = in.varint();
                const auto code = number <= std::numeric_limits<std::uint16_t>::max()
                                      ? errorCodeFromNumber(static_cast<std::uint16_t>(number))
                                      : std::nullopt;
                if (!code) {
                    malformed("The binary message has an unknown error code.");
                }
                result.error = code;
            }
            result.message = in.text();
            if ((flags & kHasServerSeq) != 0) {
                result.serverSeq = lastServerSeq = in.delta(lastServerSeq, 0, kMaxSequence);
            }
            message.results.push_back(std::move(result));
        }
        message.highWaterMark = in.varint();
        return message;
    });
}

// ---- pull ---------------------------------------------------------------------------------------
//
// request:  version, device id, cursor count, (scope, cursor)…, repair count, scope…, limit
// response: version, strings, devices, page count, per page: scope, flags, cursor, checksum,
//           change list with server sequences; purge count, scope…; more, server time

std::string encode(const PullRequest& message) {
    Writer out;
    out.byte(kVersion);
    out.id(message.deviceId);
    out.varint(message.cursors.size());
    for (const auto& [scope, cursor] : message.cursors) {
        out.text(scope);
        out.varint(cursor);
    }
    out.varint(message.repair.size());
    for (const auto& scope : message.repair) {
        out.text(scope);
    }
    out.varint(message.limit);
    return out.take();
}

PullRequest decodePullRequest(std::string_view bytes) {
    return decode<PullRequest>(bytes, [](Reader& in) {
        PullRequest message;
        message.deviceId = in.id<DeviceIdTag>();
        auto count = in.count(2);
        for (std::size_t i = 0; i < count; ++i) {
            auto scope = scopeName(in);
            const auto cursor = in.varint();
            if (cursor > kMaxSequence) {
                throw Error(ErrorCode::InvalidCursor, "A cursor must be a whole number from 0 to " +
                                                          std::to_string(kMaxSequence) + ".");
            }
            message.cursors[std::move(scope)] = cursor;
        }
        count = in.count();
        for (std::size_t i = 0; i < count; ++i) {
            message.repair.push_back(scopeName(in));
        }
        const auto limit = in.varint();
        if (limit < 1 || limit > std::numeric_limits<std::uint32_t>::max()) {
            throw Error(ErrorCode::InvalidParameter,
                        "'limit' must be a whole number from 1 to 4294967295.");
        }
        message.limit = static_cast<std::uint32_t>(limit);
        return message;
    });
}

std::string encode(const PullResponse& message) {
    StringTable strings;
    DeviceTable devices;
    ChangeListWriter changes(strings, devices);
    Writer body;
    body.varint(message.scopes.size());
    for (const auto& page : message.scopes) {
        body.text(page.scope);
        body.byte(
            static_cast<std::uint8_t>((page.snapshot ? kSnapshot : 0) | (page.more ? kMore : 0)));
        body.varint(page.cursor);
        body.text(page.checksum);
        changes.write(body, page.changes);
    }
    body.varint(message.purge.size());
    for (const auto& scope : message.purge) {
        body.text(scope);
    }
    body.byte(message.more ? 1 : 0);
    body.signedVarint(message.serverTimeMs);
    return withTables(body, strings, &devices, nullptr);
}

PullResponse decodePullResponse(std::string_view bytes) {
    return decode<PullResponse>(bytes, [](Reader& in) {
        PullResponse message;
        const ReadStrings strings(in);
        const ReadDevices devices(in);
        ChangeListReader changes(strings, devices);
        // A page takes at least 5 bytes: scope, flags, cursor, checksum, run count.
        const auto pages = in.count(5);
        for (std::size_t i = 0; i < pages; ++i) {
            ScopePage page;
            page.scope = scopeName(in);
            const auto flags = flagsWithin(in, kSnapshot | kMore);
            page.snapshot = (flags & kSnapshot) != 0;
            page.more = (flags & kMore) != 0;
            page.cursor = in.varint();
            page.checksum = scopeName(in);
            page.changes = changes.readPulled(in);
            message.scopes.push_back(std::move(page));
        }
        const auto purge = in.count();
        for (std::size_t i = 0; i < purge; ++i) {
            message.purge.push_back(scopeName(in));
        }
        const auto more = in.byte();
        if (more > 1) {
            malformed("The binary message has unknown flags.");
        }
        message.more = more == 1;
        message.serverTimeMs = in.signedVarint();
        return message;
    });
}

}  // namespace verdant::shared::compact
