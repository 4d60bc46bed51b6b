// The coordinator's tablet at the door: check-in by a scanned token, offline; check-out; the
// roster of a session.

#include "ClientImpl.hpp"

#include "verdant/training/Certificate.hpp"
#include "verdant/training/CheckInToken.hpp"
#include "verdant/training/Collections.hpp"

#include <algorithm>

namespace verdant::client {

using shared::ErrorCode;
using shared::RecordId;
using shared::Value;
namespace t = training::collections;

namespace {

/// The text without the whitespace a scanner or a paste adds around it.
std::string_view trimmedScan(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\n";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

/// The visible string of a record's field, or empty.
std::string textOf(const sync::Record& record, const char* field) {
    const auto found = record.fields.find(field);
    if (found == record.fields.end()) {
        return {};
    }
    const auto* text = std::get_if<std::string>(&found->second.value.data());
    return text != nullptr ? *text : std::string();
}

/// The visible time of a record's field.
std::optional<std::int64_t> timeOf(const sync::Record& record, const char* field) {
    const auto found = record.fields.find(field);
    if (found == record.fields.end()) {
        return std::nullopt;
    }
    const auto* time = std::get_if<shared::Timestamp>(&found->second.value.data());
    return time != nullptr ? std::optional(time->ms) : std::nullopt;
}

/// Whether a registration in `state` is at the door already or further (a second scan must not
/// write the state again: attended is later still).
bool checkedInAlready(const std::string& state) {
    return state == "checked_in" || state == "attended";
}

CheckInResult refusal(ErrorCode code, std::string message) {
    CheckInResult result;
    result.error = code;
    result.message = std::move(message);
    return result;
}

}  // namespace

CheckInResult Client::Impl::checkIn(const RecordId& sessionId, std::string_view scannedToken) {
    std::optional<std::string> tenantId;
    std::optional<sync::Record> keyRecord;
    {
        std::lock_guard lock(_storeMutex);
        tenantId = _state.get(kTenantId);
        if (tenantId) {
            keyRecord = _store->record(t::kTrainingKeys, training::trainingKeyRecordId(*tenantId));
        }
    }
    const auto publicKey =
        keyRecord ? training::PublicKey::fromBase64Url(textOf(*keyRecord, "public_key"))
                  : std::nullopt;
    if (!publicKey) {
        return refusal(ErrorCode::NotFound,
                       "This device has not received the organisation's check-in key yet: sync "
                       "once while online.");
    }
    const auto now = _serverClock.nowMs();
    const auto verdict =
        training::validateCheckInToken(*publicKey, trimmedScan(scannedToken), sessionId, now);
    if (const auto* refused = std::get_if<shared::ValidationError>(&verdict)) {
        return refusal(refused->code, refused->message);
    }
    const auto& claims = std::get<training::CheckInClaims>(verdict);
    const auto held = record(t::kAttendance, claims.registrationId);
    std::vector<FieldWrite> fields;
    if (!held || held->fields.count("session_id") == 0) {
        // A registration made after this tablet's last sync: the token stands for it.
        fields.push_back(FieldWrite::set("session_id", Value::id(sessionId)));
    }
    if (!held || !checkedInAlready(textOf(*held, "state"))) {
        fields.push_back(FieldWrite::set("state", Value::string("checked_in")));
    }
    fields.push_back(FieldWrite::set("first_check_in", Value::timestamp(now)));
    fields.push_back(FieldWrite::add("recorded_by", _deviceId.toString()));
    auto written = write(t::kAttendance, claims.registrationId, fields, false);
    CheckInResult result;
    result.ok = written.ok;
    result.error = written.error;
    result.message = std::move(written.message);
    result.registrationId = claims.registrationId;
    result.personName = claims.personName;
    result.changes = std::move(written.changes);
    return result;
}

WriteResult Client::Impl::checkOut(const RecordId& registrationId) {
    return write(t::kAttendance, registrationId,
                 {FieldWrite::set("last_check_out", Value::timestamp(_serverClock.nowMs()))},
                 false);
}

Roster Client::Impl::roster(const RecordId& sessionId) {
    Roster roster;
    for (auto& registration : query(t::kAttendance, "session_id", Value::id(sessionId))) {
        RosterEntry entry;
        entry.registrationId = registration.id;
        entry.personNameZh = textOf(registration, "person_name_zh");
        entry.personNameEn = textOf(registration, "person_name_en");
        entry.state = textOf(registration, "state");
        entry.firstCheckIn = timeOf(registration, "first_check_in");
        entry.lastCheckOut = timeOf(registration, "last_check_out");
        if (const auto devices = registration.fields.find("recorded_by");
            devices != registration.fields.end()) {
            entry.recordedBy = devices->second.elements;
        }
        ++roster.countsByState[entry.state];
        roster.people.push_back(std::move(entry));
    }
    std::sort(roster.people.begin(), roster.people.end(),
              [](const RosterEntry& a, const RosterEntry& b) {
                  return a.registrationId < b.registrationId;
              });
    return roster;
}

CertificateCheck Client::Impl::verifyCertificate(std::string_view text) {
    CertificateCheck check;
    std::optional<sync::Record> keyRecord;
    {
        std::lock_guard lock(_storeMutex);
        if (const auto tenantId = _state.get(kTenantId)) {
            keyRecord = _store->record(t::kTrainingKeys, training::trainingKeyRecordId(*tenantId));
        }
    }
    const auto publicKey =
        keyRecord ? training::PublicKey::fromBase64Url(textOf(*keyRecord, "public_key"))
                  : std::nullopt;
    if (!publicKey) {
        check.error = ErrorCode::NotFound;
        check.message = "This device has not received the organisation's key yet: sync once.";
        return check;
    }
    const auto verdict = training::verifyCertificate(*publicKey, text);
    if (const auto* refused = std::get_if<shared::ValidationError>(&verdict)) {
        check.error = refused->code;
        check.message = refused->message;
        return check;
    }
    const auto& claims = std::get<training::VerifiedCertificate>(verdict).claims;
    check.certificateId = claims.certificateId;
    check.personName = claims.personName;
    check.courseTitleEn = claims.courseTitleEn;
    check.courseTitleZh = claims.courseTitleZh;
    check.issuedAtMs = claims.issuedAtMs;
    const auto held = record(t::kCertificates, claims.certificateId);
    if (held && textOf(*held, "status") == "revoked") {
        check.error = ErrorCode::CertificateRevoked;
        check.message = "The certificate was revoked by its issuer.";
        return check;
    }
    check.valid = true;
    return check;
}

}  // namespace verdant::client
