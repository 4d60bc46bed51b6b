#pragma once

// The JSON documents the commands print with --json. Keys are snake_case, like the protocol's;
// times are Unix milliseconds (`..._ms`); ids are strings; a JSON field value is embedded as
// JSON, not as a string.

#include "verdant/client/Client.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Value.hpp"
#include "verdant/sync/Conflict.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <ostream>
#include <string>
#include <string_view>

namespace verdant::cli {

/// An empty object that keeps its keys in insertion order.
Poco::JSON::Object::Ptr jsonObject();

/// A field value: null, boolean, number, string, a timestamp as Unix ms, an id as a string, a
/// JSON document as itself (as a string if it does not parse).
Poco::Dynamic::Var toJson(const shared::Value& value);

/// {"code", "category", "message"} (+ "field" when given).
Poco::JSON::Object::Ptr errorJson(shared::ErrorCode code, std::string_view message,
                                  std::string_view field = {});

/// A sync report, tagged with the operation ("push", "pull" or "sync").
Poco::JSON::Object::Ptr toJson(const client::SyncReport& report, std::string_view operation);

/// The status screen.
Poco::JSON::Object::Ptr toJson(const client::ClientStatus& status);

/// A change the server refused.
Poco::JSON::Object::Ptr toJson(const client::QuarantineEntry& entry);

/// An open conflict with its candidates (the visible one last).
Poco::JSON::Object::Ptr toJson(const sync::Conflict& conflict);

/// Prints `document` compactly, then a newline: the whole stdout of a --json command.
void printJson(std::ostream& out, const Poco::JSON::Object::Ptr& document);

}  // namespace verdant::cli
