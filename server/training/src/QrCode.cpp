#include "verdant/server/training/QrCode.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <memory>
#include <qrencode.h>

namespace verdant::server {

namespace {

constexpr std::size_t kMaxQrBytes = 2000;
constexpr std::size_t kQuietZone = 4;

}  // namespace

QrCode encodeQr(std::string_view text) {
    if (text.empty() || text.size() > kMaxQrBytes) {
        throw shared::Error(shared::ErrorCode::InvalidParameter,
                            "A QR code holds 1 to 2000 bytes.");
    }
    const std::string copy(text);  // libqrencode reads a NUL-terminated string
    const std::unique_ptr<QRcode, decltype(&QRcode_free)> encoded(
        QRcode_encodeData(static_cast<int>(copy.size()),
                          reinterpret_cast<const unsigned char*>(copy.data()), 0, QR_ECLEVEL_M),
        &QRcode_free);
    if (!encoded) {
        throw shared::Error(shared::ErrorCode::InvalidParameter,
                            "The text does not fit in a QR code.");
    }
    QrCode code;
    code.size = static_cast<std::size_t>(encoded->width);
    code.modules.resize(code.size * code.size);
    for (std::size_t i = 0; i < code.modules.size(); ++i) {
        code.modules[i] = (encoded->data[i] & 1U) != 0;  // bit 0: dark module
    }
    return code;
}

std::string qrSvg(const QrCode& code, int pixelsPerModule) {
    const auto side = code.size + 2 * kQuietZone;
    const auto pixels = side * static_cast<std::size_t>(pixelsPerModule);
    std::string path;
    for (std::size_t row = 0; row < code.size; ++row) {
        for (std::size_t column = 0; column < code.size; ++column) {
            if (code.dark(row, column)) {
                path += "M" + std::to_string(column + kQuietZone) + "," +
                        std::to_string(row + kQuietZone) + "h1v1h-1z";
            }
        }
    }
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(pixels) +
           "\" height=\"" + std::to_string(pixels) + "\" viewBox=\"0 0 " + std::to_string(side) +
           " " + std::to_string(side) +
           "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" "
           "fill=\"#fff\"/><path fill=\"#000\" d=\"" +
           path + "\"/></svg>";
}

}  // namespace verdant::server
