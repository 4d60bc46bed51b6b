#pragma once

/// Synced values, records and conflicts as the JSON API shows them (the sync room's conflict
/// routes and every domain's read models use the same forms).

#include "verdant/shared/Schema.hpp"
#include "verdant/shared/Value.hpp"
#include "verdant/sync/Conflict.hpp"
#include "verdant/sync/Store.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

namespace verdant::server {

/// A value as plain JSON: strings and enum values as strings, timestamps as Unix ms, record
/// references as UUID text, JSON documents parsed (their text as a string if they do not parse).
Poco::Dynamic::Var plainJson(const shared::Value& value);

/// A value in the tagged form of the change encoding (`{"string":"yes"}`, see ChangeCodec).
Poco::Dynamic::Var taggedJson(const shared::Value& value);

/// A record as `{"id", <field>: plainJson, ...}`; string sets as arrays of their elements.
/// Fields with an open conflict are listed under "conflicted_fields".
Poco::JSON::Object::Ptr recordJson(const shared::Schema& schema, const sync::Record& record);

/// An open conflict, as `GET /v1/conflicts` shows it.
Poco::JSON::Object::Ptr conflictJson(const sync::Conflict& conflict);

}  // namespace verdant::server
