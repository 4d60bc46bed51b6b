#include "BlobDigest.hpp"

#include "verdant/shared/PossessionProof.hpp"

#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

namespace verdant::client::digest {

namespace {

constexpr std::size_t kReadPiece = 1024 * 1024;

/// Feeds the file at `path` to `update` piece by piece; false when it cannot be read whole.
template <class Update>
bool readPieces(const std::filesystem::path& path, Update&& update) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    std::vector<char> piece(kReadPiece);
    while (in) {
        in.read(piece.data(), static_cast<std::streamsize>(piece.size()));
        const auto got = in.gcount();
        if (got > 0 && !update(piece.data(), static_cast<std::size_t>(got))) {
            return false;
        }
    }
    return in.eof();
}

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

int sextet(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+' || c == '-') {
        return 62;
    }
    if (c == '/' || c == '_') {
        return 63;
    }
    return -1;
}

}  // namespace

std::string hex(const unsigned char* bytes, std::size_t size) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(kHex[bytes[i] >> 4]);
        out.push_back(kHex[bytes[i] & 0x0F]);
    }
    return out;
}

std::string sha256Hex(std::string_view bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), out.data(), &size, EVP_sha256(), nullptr);
    return hex(out.data(), size);
}

std::optional<std::string> sha256OfFile(const std::filesystem::path& path) {
    DigestContext context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
        return std::nullopt;
    }
    const bool read = readPieces(path, [&](const char* data, std::size_t size) {
        return EVP_DigestUpdate(context.get(), data, size) == 1;
    });
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int size = 0;
    if (!read || EVP_DigestFinal_ex(context.get(), out.data(), &size) != 1) {
        return std::nullopt;
    }
    return hex(out.data(), size);
}

std::optional<std::string> possessionProofOfFile(const std::filesystem::path& path,
                                                 std::string_view nonce, std::int64_t size) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    try {
        return shared::proofOf(nonce, size, [&in](std::int64_t offset, std::int64_t length) {
            std::string bytes(static_cast<std::size_t>(length), '\0');
            in.clear();
            in.seekg(offset);
            in.read(bytes.data(), length);
            bytes.resize(static_cast<std::size_t>(in.gcount()));
            return bytes;
        });
    } catch (const std::runtime_error&) {
        return std::nullopt;  // shorter than its size, or unreadable
    }
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(bytes.data()),
                                        static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

std::optional<std::string> fromBase64(std::string_view text) {
    while (!text.empty() && text.back() == '=') {
        text.remove_suffix(1);
    }
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const int value = sextet(c);
        if (value < 0) {
            return std::nullopt;
        }
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
        }
    }
    return out;
}

bool isSha256Hex(std::string_view text) noexcept {
    return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace verdant::client::digest
