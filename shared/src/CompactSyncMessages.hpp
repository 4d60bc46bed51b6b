#pragma once

#include "verdant/shared/SyncMessages.hpp"

#include <string>
#include <string_view>

// Private to verdant_shared: the sync messages in binary form 2 (compact), for
// SyncMessageCodec. Decoders throw as SyncMessageCodec documents.

namespace verdant::shared::compact {

std::string encode(const PushRequest& message);
std::string encode(const PushResponse& message);
std::string encode(const PullRequest& message);
std::string encode(const PullResponse& message);

PushRequest decodePushRequest(std::string_view bytes);
PushResponse decodePushResponse(std::string_view bytes);
PullRequest decodePullRequest(std::string_view bytes);
PullResponse decodePullResponse(std::string_view bytes);

}  // namespace verdant::shared::compact
