#pragma once

// The photo functions' JSON (verdant.h › Photos): the upload queue out, a photo's details in.

#include "verdant/client/Photos.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace verdant::capi {

/// [{photo_id, audit_id, sha256, size_bytes, state, state_code, bytes_confirmed, bytes_sent,
/// percent, deduplicated, error: {code, name} | null, message}] (see verdant_photo_list_json()).
std::string photoUploadsJson(const std::vector<client::PhotoStatus>& photos);

/// Fills the optional parts of `draft` from `detailsJson` (an object with any of caption,
/// answer_id, finding_id, captured_at, gps, media_type; empty text = none). Throws
/// shared::Error: MalformedJson, InvalidParameter for a member of the wrong type.
void readPhotoDetails(std::string_view detailsJson, client::PhotoDraft& draft);

}  // namespace verdant::capi
