// Store::Impl: what the quarantine keeps of a refused change, and HQ's decisions on it.

#include "StoreImpl.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace verdant::sync {

namespace {

std::string sha256Hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
        throw Error(ErrorCode::InternalError, "Could not compute the store checksum.");
    }
    return codec::toHex(std::span<const std::uint8_t>(digest, size));
}

/// The longest refusal message kept or sent back, in bytes: a gate or a schema check that
/// quotes a client's text must not echo megabytes.
constexpr std::size_t kMaxMessageBytes = 1024;

/// The first bytes of `text`, at most `limit`, cut at a UTF-8 character boundary.
std::string_view utf8Prefix(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) {
        return text;
    }
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
        --end;  // a continuation byte: the character started earlier
    }
    return text.substr(0, end);
}

/// The text of a string or JSON value, or nullptr for a value of another kind (a few bytes).
const std::string* textOf(const shared::Value& value) {
    if (const auto* text = std::get_if<std::string>(&value.data())) {
        return text;
    }
    if (const auto* json = std::get_if<shared::JsonText>(&value.data())) {
        return &json->text;
    }
    return nullptr;
}

}  // namespace

/// Throws the first refusal among `applied`'s results (the caller's transaction rolls back).
void throwIfRefused(const ApplyResult& applied, const std::string& context) {
    for (const auto& outcome : applied.results) {
        if (outcome.outcome == ChangeOutcome::Refused) {
            throw Error(outcome.error.value_or(ErrorCode::InternalError),
                        context + outcome.message);
        }
    }
}

/// `message`, cut to kMaxMessageBytes (marked with an ellipsis) if longer.
std::string boundedMessage(std::string message) {
    if (message.size() > kMaxMessageBytes) {
        message = std::string(utf8Prefix(message, kMaxMessageBytes - 3)) + "\u2026";
    }
    return message;
}

ChangeResult refusedResult(ErrorCode code, std::string message) {
    ChangeResult result;
    result.outcome = ChangeOutcome::Refused;
    result.error = code;
    result.message = boundedMessage(std::move(message));
    return result;
}

/// What the quarantine keeps of a refused change: the change whole, or, when its value is longer
/// than kQuarantinedValueBytes or a name longer than kQuarantinedNameBytes, those cut to that
/// many bytes (a cut JSON value becomes a string of its text, since a cut document is no JSON),
/// with the full value's size and SHA-256. Refusals must not cost what a hostile client sends.
QuarantinedChange boundedForQuarantine(const Change& change) {
    QuarantinedChange kept;
    const std::string* text = textOf(change.value);
    const bool longValue = text != nullptr && text->size() > kQuarantinedValueBytes;
    kept.truncated = longValue || change.collection.size() > kQuarantinedNameBytes ||
                     change.field.size() > kQuarantinedNameBytes ||
                     change.author.size() > kQuarantinedNameBytes;
    if (!kept.truncated) {
        kept.change = change;
        return kept;
    }
    Change& cut = kept.change;
    cut.collection = utf8Prefix(change.collection, kQuarantinedNameBytes);
    cut.recordId = change.recordId;
    cut.field = utf8Prefix(change.field, kQuarantinedNameBytes);
    cut.operation = change.operation;
    cut.value = longValue
                    ? shared::Value::string(std::string(utf8Prefix(*text, kQuarantinedValueBytes)))
                    : change.value;
    cut.hlc = change.hlc;
    cut.baseVersion = change.baseVersion;
    cut.deviceId = change.deviceId;
    cut.deviceSeq = change.deviceSeq;
    cut.author = utf8Prefix(change.author, kQuarantinedNameBytes);
    if (text != nullptr) {
        kept.valueBytes = text->size();
        kept.valueSha256 = sha256Hex(*text);
    }
    return kept;
}

std::vector<QuarantinedChange> Store::Impl::quarantine() {
    return _backend->quarantine();
}

std::optional<QuarantinedChange> Store::Impl::quarantined(const DeviceId& device,
                                                          std::uint64_t deviceSeq) {
    return _backend->quarantined(device, deviceSeq);
}

std::vector<QuarantinedChange> Store::Impl::quarantinePage(const QuarantinePosition& after,
                                                           std::size_t limit,
                                                           const std::optional<DeviceId>& device) {
    if (limit == 0) {
        return {};
    }
    return _backend->quarantinePage(after, limit, device);
}

void Store::Impl::decideQuarantined(const DeviceId& device, std::uint64_t deviceSeq,
                                    QuarantineDecision decision, const std::string& decidedBy,
                                    std::int64_t decidedAtMs) {
    const auto entry = quarantined(device, deviceSeq);
    if (!entry) {
        throw Error(ErrorCode::NotFound, "There is no quarantined change " +
                                             std::to_string(deviceSeq) + " of that device.");
    }
    if (entry->decision) {
        throw Error(ErrorCode::InvalidTransition, "That change was " +
                                                      std::string(wireName(*entry->decision)) +
                                                      " already by " + entry->decidedBy + ".");
    }
    if (decision == QuarantineDecision::Accepted) {
        // A store written before refused changes counted as received may hold one both logged
        // as applied and quarantined: accepting it would apply it a second time.
        const auto outcome = _backend->loggedOutcome(device, deviceSeq);
        if (outcome) {
            if (*outcome == ChangeOutcome::Applied || *outcome == ChangeOutcome::ConflictRaised) {
                throw Error(ErrorCode::InvalidTransition,
                            "That change was applied already; accepting it would apply it twice. "
                            "Discard it.");
            }
        }
    }
    if (decision == QuarantineDecision::Accepted && entry->truncated) {
        throw Error(ErrorCode::ValueTooLarge,
                    "The server kept only the first bytes of this change (its value has " +
                        std::to_string(entry->valueBytes) +
                        " bytes), so it cannot apply it; the device still holds it whole. "
                        "Discard it, or have the device send a smaller value as a new change.");
    }
    _backend->decideQuarantined(device, deviceSeq, decision, decidedBy, decidedAtMs);
}

ApplyResult Store::Impl::decideAndApply(const DeviceId& device, std::uint64_t deviceSeq,
                                        QuarantineDecision decision, const std::string& decidedBy,
                                        std::int64_t decidedAtMs, std::span<const Change> writes,
                                        const std::function<std::vector<Change>()>& followUp) {
    // Checked and recorded inside the transaction that applies the writes (BEGIN IMMEDIATE:
    // no other connection decides meanwhile), so the two commit together or not at all.
    // The writes are the caller's own: one the store refuses throws, never quarantines.
    try {
        return applyInTransaction(
            writes, ChangeGate{}, followUp,
            [&] { decideQuarantined(device, deviceSeq, decision, decidedBy, decidedAtMs); },
            /*strict=*/true);
    } catch (...) {
        _cache = Cache{};
        throw;
    }
}

}  // namespace verdant::sync
