// The training functions of the C API (verdant.h): a session's records, check-in and check-out
// at the door, and the session's roster.

#include "CapiSupport.hpp"
#include "RecordJson.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/verdant.h"

namespace verdant::capi {
namespace {

using shared::ErrorCode;

}  // namespace
}  // namespace verdant::capi

// The entry points below name their handle parameter `client` (as verdant.h does), which hides
// the namespace verdant::client inside them: they spell out verdant::client:: and
// verdant::shared::.
using namespace verdant::capi;  // NOLINT(google-build-using-namespace): the C API's own helpers

extern "C" {

int verdant_session_records_json(verdant_client* client, const char* session_id, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto id = recordIdOf(session_id, "session_id");
        auto& out = required(out_json, "out_json");
        out = copyOut(recordsJson(sdk.sessionRecords(id)));
    });
}

// --- Training at the door ----------------------------------------------------------------------

int verdant_check_in(verdant_client* client, const char* session_id, const char* token,
                     char** out_result_json) {
    clearOut(out_result_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto id = recordIdOf(session_id, "session_id");
        const auto result = sdk.checkIn(id, text(token, "token"));
        if (!result.ok) {
            throw FieldInputError(result.error.value_or(ErrorCode::InvalidChange), "",
                                  result.message);
        }
        if (out_result_json) {
            *out_result_json = copyOut(checkInResultJson(result));
        }
    });
}

int verdant_check_out(verdant_client* client, const char* registration_id) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        requireWritten(sdk.checkOut(recordIdOf(registration_id, "registration_id")));
    });
}

int verdant_roster_json(verdant_client* client, const char* session_id, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto id = recordIdOf(session_id, "session_id");
        auto& out = required(out_json, "out_json");
        out = copyOut(rosterJson(sdk.roster(id)));
    });
}

}  // extern "C"
