#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace verdant::server {

/// Makes the JPEG thumbnails of review screens with libvips (decoding only the formats libvips
/// marks as safe for untrusted input, shrinking on load where the format allows). Keeps no state;
/// thread-safe: libvips is started once per process, by the first Thumbnailer made.
class Thumbnailer {
public:
    /// The largest image decoded: 100 megapixels, twice what a phone camera takes. A file whose
    /// header claims more (a decompression bomb: a small PNG of 30000 × 30000) is never decoded.
    static constexpr std::int64_t kMaxPixels = 100'000'000;

    /// Starts libvips when no Thumbnailer did yet. Throws std::runtime_error when it cannot.
    explicit Thumbnailer(std::int64_t maxPixels = kMaxPixels);

    /// The image of the file at `source` as a JPEG at most `width` pixels wide, its aspect kept
    /// (never enlarged; turned upright by its EXIF orientation), or nullopt when libvips cannot
    /// decode the file as an image (a PDF, damaged bytes) or its header claims more than
    /// `maxPixels` pixels (then only the header is read).
    std::optional<std::string> jpeg(const std::string& source, int width) const;

private:
    std::int64_t _maxPixels;
};

}  // namespace verdant::server
