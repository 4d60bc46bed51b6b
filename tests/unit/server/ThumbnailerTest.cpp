// The review screens' thumbnails: made from an image, refused for a file that is not one, and
// never decoded for an image whose header claims more pixels than the limit (a decompression
// bomb is a few kilobytes of PNG that would take gigabytes to decode).

#include "TemporaryDirectory.hpp"
#include "Thumbnailer.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <vips/vips.h>

namespace verdant {
namespace {

/// A PNG of one grey level, `width` × `height`, written by libvips.
std::string greyPng(const test::TemporaryDirectory& folder, int width, int height) {
    const server::Thumbnailer startsLibvips;
    const auto path = folder.file("grey.png");
    VipsImage* black = nullptr;
    EXPECT_EQ(vips_black(&black, width, height, nullptr), 0);
    EXPECT_EQ(vips_pngsave(black, path.c_str(), nullptr), 0);
    g_object_unref(black);
    return path;
}

TEST(Thumbnailer, MakesAJpegNoWiderThanAsked) {
    test::TemporaryDirectory folder;
    const server::Thumbnailer thumbnails;
    const auto jpeg = thumbnails.jpeg(greyPng(folder, 1200, 600), 320);
    ASSERT_TRUE(jpeg);
    ASSERT_GE(jpeg->size(), 3U);
    EXPECT_EQ(jpeg->substr(0, 3), "\xFF\xD8\xFF");
}

TEST(Thumbnailer, RefusesAFileThatIsNotAnImage) {
    test::TemporaryDirectory folder;
    std::ofstream(folder.file("a.pdf")) << "%PDF-1.7\n";
    EXPECT_FALSE(server::Thumbnailer().jpeg(folder.file("a.pdf"), 320));
}

TEST(Thumbnailer, NeverDecodesAnImageLargerThanItsLimit) {
    test::TemporaryDirectory folder;
    const auto image = greyPng(folder, 2000, 1000);  // 2 megapixels
    EXPECT_FALSE(server::Thumbnailer(1'000'000).jpeg(image, 320));
    EXPECT_TRUE(server::Thumbnailer(2'000'000).jpeg(image, 320));
}

}  // namespace
}  // namespace verdant
