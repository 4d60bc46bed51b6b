#include "verdant/server/photos/MediaType.hpp"

#include <array>

namespace verdant::server {

namespace {

bool startsWith(std::string_view head, std::string_view magic) {
    return head.substr(0, magic.size()) == magic;
}

}  // namespace

std::optional<std::string> sniffMediaType(std::string_view head) {
    using namespace std::string_view_literals;
    if (startsWith(head, "\xFF\xD8\xFF"sv)) {
        return "image/jpeg";
    }
    if (startsWith(head, "\x89PNG\r\n\x1A\n"sv)) {
        return "image/png";
    }
    if (startsWith(head, "%PDF-"sv)) {
        return "application/pdf";
    }
    // ISO base media file: a box size (4 bytes), then `ftyp` and the major brand.
    if (head.size() >= 12 && head.substr(4, 4) == "ftyp") {
        const auto brand = head.substr(8, 4);
        for (const auto heic : {"heic"sv, "heix"sv, "hevc"sv}) {
            if (brand == heic) {
                return "image/heic";
            }
        }
        for (const auto heif : {"mif1"sv, "msf1"sv}) {
            if (brand == heif) {
                return "image/heif";
            }
        }
    }
    return std::nullopt;
}

}  // namespace verdant::server
