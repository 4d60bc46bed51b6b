#pragma once

// The JSON forms of the C API (verdant.h): field writes read from the caller's JSON, and
// records, statuses, conflicts and queues written as JSON. Values are plain JSON chosen by the
// field's schema type (see docs/c-api.md), not the tagged form of the wire protocol, because a
// binding knows its schema and wants `"periodic"`, not `{"string":"periodic"}`.

#include "verdant/client/Client.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Conflict.hpp"
#include "verdant/sync/Store.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace verdant::capi {

/// A field of a write that the C API could not turn into a value: the code (unknown_field,
/// wrong_type...), a message safe to show a user, and the field to blame.
class FieldInputError : public shared::Error {
public:
    /// An error about `field`.
    FieldInputError(shared::ErrorCode code, std::string field, std::string message);
    /// The field to blame.
    const std::string& field() const noexcept { return _field; }

private:
    std::string _field;
};

/// The writes of `fieldsJson`, a JSON object {"field": value, ...}, for a record of
/// `collection`: a value of the field's type sets it (null clears it); a string-set field takes
/// {"add": x, "remove": y} with strings or arrays of strings; a monotone-state field may take
/// {"reopen": "state"}. Members keep their order, except that a child collection's parent field
/// (answers.audit_id...) goes first, so the record's scope is known from its first change.
/// Throws shared::Error(MalformedJson) for text that is not JSON, Error(InvalidParameter) for
/// JSON that is not a non-empty object, and FieldInputError for an unknown field or a value of
/// the wrong shape. Whether an enum value is allowed, and size limits, the SDK checks on write.
std::vector<client::FieldWrite> fieldWritesFromJson(const shared::CollectionSpec& collection,
                                                    std::string_view fieldsJson);

/// The value `valueJson` (one JSON value) means for `field` in a query: a value of the field's
/// type, or for a string set, one element. Throws as fieldWritesFromJson().
shared::Value queryValueFromJson(const shared::FieldSpec& field, std::string_view valueJson);

/// {"collection","id","deleted","fields":{...},"conflicted_fields":[...]}.
std::string recordJson(const sync::Record& record);

/// A JSON array of recordJson() objects.
std::string recordsJson(const std::vector<sync::Record>& records);

/// {"record_id","changes":n} of a successful write.
std::string writeResultJson(const client::WriteResult& result);

/// {"registration_id":"…","person_name":"…","changes":N}: an accepted check-in.
std::string checkInResultJson(const client::CheckInResult& result);

/// {"people":[{registration_id, person_name_zh, person_name_en, state, first_check_in,
/// last_check_out, recorded_by}], "counts":{"<state>":N}}: a session's roster.
std::string rosterJson(const client::Roster& roster);

/// The status screen's data (see verdant_status_json()).
std::string statusJson(const client::ClientStatus& status);

/// The open conflicts with their candidates (see verdant_conflicts_json()).
std::string conflictsJson(const std::vector<sync::Conflict>& conflicts);

/// The refused changes with their reasons (see verdant_quarantine_json()).
std::string quarantineJson(const std::vector<client::QuarantineEntry>& entries);

/// Changes as the outbox lists them (see verdant_pending_changes_json()).
std::string changesJson(const std::vector<shared::Change>& changes);

}  // namespace verdant::capi
