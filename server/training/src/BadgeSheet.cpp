#include "BadgeSheet.hpp"

#include "RecordFields.hpp"

#include "verdant/server/training/QrCode.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

namespace verdant::server {

namespace {

std::string escaped(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        switch (ch) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += ch;
        }
    }
    return out;
}

constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:0}"
    "header{padding:8mm 10mm 2mm}h1{font-size:14pt;margin:0}p{margin:2mm 0;color:#444}"
    ".sheet{display:flex;flex-wrap:wrap;padding:0 10mm}"
    ".badge{box-sizing:border-box;width:50%;height:62mm;padding:4mm;border:1px dashed #999;"
    "display:flex;align-items:center;gap:4mm;page-break-inside:avoid}"
    ".badge svg{width:48mm;height:48mm;flex:none}.name{font-size:15pt;font-weight:bold}"
    "@media print{header{display:none}}";

std::string whenOf(const sync::Record& session) {
    constexpr std::int64_t kYear9999Ms = 253'402'300'799'999;
    const auto ms = training_office::timeField(session, "starts_at");
    return ms && *ms >= 0 && *ms <= kYear9999Ms
               ? Poco::DateTimeFormatter::format(Poco::Timestamp(*ms * 1000), "%Y-%m-%d %H:%M UTC")
               : std::string();
}

}  // namespace

std::string badgeSheetHtml(const sync::Record& session, const std::vector<Badge>& badges) {
    std::string html =
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<title>Badges</title><style>";
    html += kStyle;
    html += "</style></head><body><header><h1>" +
            escaped(training_office::textField(session, "venue").value_or("")) + "</h1><p>" +
            escaped(whenOf(session)) + " · " + std::to_string(badges.size()) +
            " badges · session " + session.id.toString() + "</p></header><main class=\"sheet\">";
    for (const auto& badge : badges) {
        html += "<section class=\"badge\">" + qrSvg(encodeQr(badge.token)) +
                "<div class=\"name\">" + escaped(badge.personName) + "</div></section>";
    }
    html += "</main></body></html>";
    return html;
}

}  // namespace verdant::server
