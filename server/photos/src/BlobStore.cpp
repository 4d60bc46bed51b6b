#include "verdant/server/photos/BlobStore.hpp"

#include <algorithm>

namespace verdant::server {

bool isSha256Hex(const std::string& text) noexcept {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

}  // namespace verdant::server
