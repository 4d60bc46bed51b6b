#pragma once

#include <cstdint>
#include <string_view>

namespace verdant::server {

/// What a download's `Range` header asks of a blob (RFC 9110 §14): the whole blob, one part of
/// it, or a part that lies outside it.
struct BlobRange {
    enum class Kind {
        Whole,          ///< No Range, another unit, several ranges or an invalid one: send all.
        Part,           ///< One satisfiable range: send [first, first + length) as 206.
        Unsatisfiable,  ///< One range that starts past the blob's end: 416.
    };
    Kind kind = Kind::Whole;
    std::int64_t first = 0;   ///< The part's first byte (Part only).
    std::int64_t length = 0;  ///< The part's length in bytes (Part only).
};

/// The range `header` (a `Range` field value, "" when absent) asks of a blob of `size` bytes:
/// `bytes=a-b`, `bytes=a-` and `bytes=-n`, with `b` and `n` cut to the blob. A server may
/// ignore Range, and this one does when it names several ranges or cannot be parsed. Pure.
BlobRange blobRange(std::string_view header, std::int64_t size);

/// Whether the `If-None-Match` field value `header` (a list of entity tags, or "*") names
/// `etag` (quoted, e.g. "\"abc\""), by the weak comparison RFC 9110 §13.1.2 asks for. Pure.
bool etagListMatches(std::string_view header, std::string_view etag);

}  // namespace verdant::server
