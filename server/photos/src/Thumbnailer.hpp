#pragma once

#include <optional>
#include <string>

namespace verdant::server {

/// Makes the JPEG thumbnails of review screens with libvips (decoding only the formats libvips
/// marks as safe for untrusted input, shrinking on load where the format allows). Keeps no state;
/// thread-safe: libvips is started once per process, by the first Thumbnailer made.
class Thumbnailer {
public:
    /// Starts libvips when no Thumbnailer did yet. Throws std::runtime_error when it cannot.
    Thumbnailer();

    /// The image of the file at `source` as a JPEG at most `width` pixels wide, its aspect kept
    /// (never enlarged; turned upright by its EXIF orientation), or nullopt when libvips cannot
    /// decode the file as an image (a PDF, damaged bytes).
    std::optional<std::string> jpeg(const std::string& source, int width) const;
};

}  // namespace verdant::server
