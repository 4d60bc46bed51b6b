// QR codes for badges (server/training QrCode): libqrencode's modules, drawn as SVG.

#include "verdant/server/training/QrCode.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <gtest/gtest.h>

namespace verdant::server {
namespace {

/// Whether the 7×7 finder pattern (dark ring, light ring, dark 3×3 core) starts at (row, col).
bool finderAt(const QrCode& code, std::size_t row, std::size_t column) {
    for (std::size_t r = 0; r < 7; ++r) {
        for (std::size_t c = 0; c < 7; ++c) {
            const bool ring = r == 0 || r == 6 || c == 0 || c == 6;
            const bool core = r >= 2 && r <= 4 && c >= 2 && c <= 4;
            if (code.dark(row + r, column + c) != (ring || core)) {
                return false;
            }
        }
    }
    return true;
}

TEST(QrCode, ACheckInTokenBecomesAQrCodeWithItsThreeFinderPatterns) {
    const std::string token(210, 'A');  // a usual check-in token's length
    const auto code = encodeQr(token);
    ASSERT_GE(code.size, 21U);
    EXPECT_EQ((code.size - 17) % 4, 0U) << "a QR code is 4 × version + 17 modules wide";
    EXPECT_TRUE(finderAt(code, 0, 0));
    EXPECT_TRUE(finderAt(code, 0, code.size - 7));
    EXPECT_TRUE(finderAt(code, code.size - 7, 0));
    EXPECT_FALSE(finderAt(code, code.size - 7, code.size - 7)) << "three corners only";
    EXPECT_NE(encodeQr(token + "B").modules, code.modules);
}

TEST(QrCode, TheSvgDrawsEveryDarkModuleInsideAQuietZone) {
    const auto code = encodeQr("vct1.example");
    const auto svg = qrSvg(code, 3);
    const auto side = std::to_string(code.size + 8);
    EXPECT_NE(svg.find("viewBox=\"0 0 " + side + " " + side + "\""), std::string::npos);
    std::size_t dark = 0;
    for (const bool module : code.modules) {
        dark += module ? 1 : 0;
    }
    std::size_t drawn = 0;
    for (auto at = svg.find("h1v1h-1z"); at != std::string::npos;
         at = svg.find("h1v1h-1z", at + 1)) {
        ++drawn;
    }
    EXPECT_EQ(drawn, dark);
    EXPECT_NE(svg.find("M4,4h1v1h-1z"), std::string::npos) << "the finder's corner, after 4 quiet";
}

TEST(QrCode, NothingOrTooMuchIsRefused) {
    EXPECT_THROW(encodeQr(""), shared::Error);
    EXPECT_THROW(encodeQr(std::string(2001, 'x')), shared::Error);
}

}  // namespace
}  // namespace verdant::server
