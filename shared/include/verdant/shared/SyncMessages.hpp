#pragma once

#include "verdant/shared/Change.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::shared {

/// `POST /v1/sync/push`: one device's batch of changes, in device-sequence order.
struct PushRequest {
    DeviceId deviceId;            ///< The sending device; every change must carry it.
    std::vector<Change> changes;  ///< Numbered by the device: 1, 2, 3...

    friend bool operator==(const PushRequest&, const PushRequest&) = default;
};

/// What happened to one pushed change.
struct PushResult {
    std::uint64_t deviceSeq = 0;             ///< Which change (the device's number for it).
    std::string outcome;                     ///< applied | duplicate | conflict_raised | refused
    std::optional<ErrorCode> error;          ///< Why it was refused (quarantined or clock skew).
    std::string message;                     ///< Human-readable reason when refused.
    std::optional<std::uint64_t> serverSeq;  ///< Where the server logged it.

    friend bool operator==(const PushResult&, const PushResult&) = default;
};

/// The answer to a push: one result per change, in request order, and the highest device
/// sequence the server holds for the device (changes up to it need never be sent again).
struct PushResponse {
    std::vector<PushResult> results;
    std::uint64_t highWaterMark = 0;

    friend bool operator==(const PushResponse&, const PushResponse&) = default;
};

/// `POST /v1/sync/pull`: what the device has, per scope.
struct PullRequest {
    DeviceId deviceId;
    /// Scope key → the server sequence the device has pulled that scope up to. A scope the
    /// device does not hold is absent (it arrives as a snapshot).
    std::map<std::string, std::uint64_t> cursors;
    /// Scopes whose checksum did not match after catching up: sent again whole (a repair).
    std::vector<std::string> repair;
    /// Most changes wanted in this answer (the server caps it).
    std::uint32_t limit = 1000;

    friend bool operator==(const PullRequest&, const PullRequest&) = default;
};

/// A logged change as pulled: its server sequence and the change.
struct PulledChange {
    std::uint64_t serverSeq = 0;
    Change change;

    friend bool operator==(const PulledChange&, const PulledChange&) = default;
};

/// One scope's page of a pull.
struct ScopePage {
    std::string scope;                  ///< Scope key, e.g. "audits/0190…", or "tenant".
    bool snapshot = false;              ///< The scope is new to the device (or repaired).
    std::vector<PulledChange> changes;  ///< In server-sequence order.
    std::uint64_t cursor = 0;           ///< Send this back as the scope's cursor next time.
    bool more = false;                  ///< More changes are waiting for this scope.
    std::string checksum;               ///< SHA-256 of the scope's state; set when !more.

    friend bool operator==(const ScopePage&, const ScopePage&) = default;
};

/// The answer to a pull.
struct PullResponse {
    std::vector<ScopePage> scopes;   ///< The scopes the user may see now.
    std::vector<std::string> purge;  ///< Scopes the device holds but may no longer see.
    bool more = false;               ///< Pull again: some scope has more waiting.
    std::int64_t serverTimeMs = 0;   ///< The server's clock, for the device's offset estimate.

    friend bool operator==(const PullResponse&, const PullResponse&) = default;
};

/// The binary forms of the sync messages; the value is the version byte every body starts with.
enum class BinaryFormat : std::uint8_t {
    /// cereal portable binary; every change carries all of its fields (kBinaryContentType).
    V1 = 1,
    /// Compact: per message a table of strings (collections, fields, authors) and of device ids,
    /// changes grouped by record, varints, HLCs and sequences as deltas (kCompactContentType).
    V2 = 2,
};

/// The encodings of the sync messages, chosen by Content-Type:
///  - `application/json` (kJsonContentType): for people, curl and other languages; changes use
///    ChangeCodec's JSON form;
///  - `application/vnd.verdant.v1+cereal` (kBinaryContentType): binary form 1, cereal portable
///    binary behind a version byte; what SDKs before form 2 send;
///  - `application/vnd.verdant.v2+binary` (kCompactContentType): binary form 2, what the SDK
///    sends: nothing a batch or record already says is repeated per change (docs/protocol.md).
/// All carry exactly the same data (round-trip tests check it). Decoders throw
/// Error(MalformedJson / InvalidRequest / InvalidParameter / InvalidCursor / InvalidChange) with
/// a message that names what is wrong, never crash, and refuse trailing bytes; a binary decoder
/// reads the form it is given and refuses a body of another version byte. Binary decoders
/// allocate no more than the body could fill, whatever counts and lengths it claims. Binary
/// text that is not UTF-8 is refused (Error(InvalidRequest)), so that nothing unprintable as
/// JSON reaches the log. Stateless and thread-safe.
class SyncMessageCodec {
public:
    static constexpr std::string_view kJsonContentType = "application/json";
    static constexpr std::string_view kBinaryContentType = "application/vnd.verdant.v1+cereal";
    static constexpr std::string_view kCompactContentType = "application/vnd.verdant.v2+binary";
    /// The version byte of binary form 1.
    static constexpr std::uint8_t kBinaryFormatVersion = 1;

    /// The media type of a binary form.
    static constexpr std::string_view contentTypeOf(BinaryFormat format) noexcept {
        return format == BinaryFormat::V2 ? kCompactContentType : kBinaryContentType;
    }

    static std::string toJson(const PushRequest& message);
    static std::string toJson(const PushResponse& message);
    static std::string toJson(const PullRequest& message);
    static std::string toJson(const PullResponse& message);
    static std::string toBinary(const PushRequest& message, BinaryFormat format = BinaryFormat::V1);
    static std::string toBinary(const PushResponse& message,
                                BinaryFormat format = BinaryFormat::V1);
    static std::string toBinary(const PullRequest& message, BinaryFormat format = BinaryFormat::V1);
    static std::string toBinary(const PullResponse& message,
                                BinaryFormat format = BinaryFormat::V1);

    static PushRequest pushRequestFromJson(std::string_view text);
    static PushResponse pushResponseFromJson(std::string_view text);
    static PullRequest pullRequestFromJson(std::string_view text);
    static PullResponse pullResponseFromJson(std::string_view text);
    static PushRequest pushRequestFromBinary(std::string_view bytes,
                                             BinaryFormat format = BinaryFormat::V1);
    static PushResponse pushResponseFromBinary(std::string_view bytes,
                                               BinaryFormat format = BinaryFormat::V1);
    static PullRequest pullRequestFromBinary(std::string_view bytes,
                                             BinaryFormat format = BinaryFormat::V1);
    static PullResponse pullResponseFromBinary(std::string_view bytes,
                                               BinaryFormat format = BinaryFormat::V1);

private:
    static PushRequest decodePushRequest(std::string_view text);
    static PushResponse decodePushResponse(std::string_view text);
    static PullRequest decodePullRequest(std::string_view text);
    static PullResponse decodePullResponse(std::string_view text);
};

}  // namespace verdant::shared
