#include "Thumbnailer.hpp"

#include <memory>
#include <mutex>
#include <stdexcept>
#include <vips/vips.h>

namespace verdant::server {

namespace {

/// The JPEG quality of thumbnails: small files, no visible blocks at review-screen sizes.
constexpr int kJpegQuality = 80;

/// Starts libvips once per process: refuses the loaders not meant for untrusted bytes and keeps
/// no operation cache (every blob is decoded once per thumbnail size, then served from disk).
void startVips() {
    static std::once_flag started;
    static bool ok = false;
    std::call_once(started, [] {
        ok = VIPS_INIT("verdant-server") == 0;
        if (ok) {
            vips_block_untrusted_set(TRUE);
            vips_cache_set_max(0);
        }
    });
    if (!ok) {
        throw std::runtime_error("libvips could not be started");
    }
}

struct ImageUnref {
    void operator()(VipsImage* image) const { g_object_unref(image); }
};

}  // namespace

Thumbnailer::Thumbnailer(std::int64_t maxPixels) : _maxPixels(maxPixels) {
    startVips();
}

std::optional<std::string> Thumbnailer::jpeg(const std::string& source, int width) const {
    // Opening reads the header only; the pixels are decoded by vips_thumbnail below.
    VipsImage* header = vips_image_new_from_file(source.c_str(), nullptr);
    if (header == nullptr) {
        vips_error_clear();
        return std::nullopt;
    }
    const std::unique_ptr<VipsImage, ImageUnref> opened(header);
    if (static_cast<std::int64_t>(vips_image_get_width(header)) * vips_image_get_height(header) >
        _maxPixels) {
        return std::nullopt;
    }
    VipsImage* made = nullptr;
    // Only the width is bounded: a tall photo keeps its full height at that width.
    if (vips_thumbnail(source.c_str(), &made, width, "height", VIPS_MAX_COORD, "size",
                       VIPS_SIZE_DOWN, nullptr) != 0) {
        vips_error_clear();
        return std::nullopt;
    }
    const std::unique_ptr<VipsImage, ImageUnref> thumbnail(made);
    void* buffer = nullptr;
    std::size_t length = 0;
    if (vips_jpegsave_buffer(thumbnail.get(), &buffer, &length, "Q", kJpegQuality, "strip", TRUE,
                             nullptr) != 0) {
        vips_error_clear();
        return std::nullopt;
    }
    std::string bytes(static_cast<const char*>(buffer), length);
    g_free(buffer);
    return bytes;
}

}  // namespace verdant::server
