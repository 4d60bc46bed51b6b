#pragma once

#include "verdant/sync/Store.hpp"

#include <string>
#include <vector>

namespace verdant::server {

/// One badge: the person's name and their check-in token.
struct Badge {
    std::string personName;
    std::string token;
};

/// A printable HTML page of badges for `session`: the session's venue and time, then per person
/// their name and the QR code of their token (inline SVG), eight to an A4 page. Every text from
/// the data is HTML-escaped; the page loads nothing (no script, no external file).
std::string badgeSheetHtml(const sync::Record& session, const std::vector<Badge>& badges);

}  // namespace verdant::server
