#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::server {

/// A QR code's modules, made by libqrencode (error correction level M, 8-bit mode): `size` rows
/// of `size` modules, true = dark.
struct QrCode {
    std::size_t size = 0;
    std::vector<bool> modules;  ///< Row by row.

    bool dark(std::size_t row, std::size_t column) const { return modules[row * size + column]; }
};

/// The QR code of `text` (a check-in token, a verification link). Throws
/// shared::Error(InvalidParameter) for text no QR code holds (empty, or over 2,000 bytes).
QrCode encodeQr(std::string_view text);

/// The code as a standalone SVG image: one path of the dark modules on a white square with the
/// four-module quiet zone, `pixelsPerModule` wide each (scalable; prints sharp).
std::string qrSvg(const QrCode& code, int pixelsPerModule = 4);

}  // namespace verdant::server
