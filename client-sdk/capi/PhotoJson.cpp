#include "PhotoJson.hpp"

#include "JsonWriter.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace verdant::capi {

using shared::ErrorCode;

std::string photoUploadsJson(const std::vector<client::PhotoStatus>& photos) {
    JsonWriter out;
    out.beginArray();
    for (const auto& photo : photos) {
        out.beginObject();
        out.key("photo_id").string(photo.photoId.toString());
        out.key("audit_id").string(photo.auditId.toString());
        out.key("sha256").string(photo.sha256);
        out.key("size_bytes").unsignedInteger(photo.sizeBytes);
        out.key("state").string(client::wireName(photo.state));
        out.key("state_code").integer(static_cast<std::int64_t>(photo.state));
        out.key("bytes_confirmed").unsignedInteger(photo.bytesConfirmed);
        out.key("bytes_sent").unsignedInteger(photo.bytesSent);
        out.key("percent").integer(photo.percent());
        out.key("deduplicated").boolean(photo.deduplicated);
        out.key("error");
        if (photo.error) {
            out.beginObject();
            out.key("code").integer(static_cast<std::int64_t>(*photo.error));
            out.key("name").string(shared::wireName(*photo.error));
            out.endObject();
        } else {
            out.null();
        }
        out.key("message").string(photo.message);
        out.endObject();
    }
    out.endArray();
    return out.take();
}

namespace {

shared::RecordId idMember(const Poco::JSON::Object& details, const std::string& name) {
    const auto id = shared::RecordId::parse(details.getValue<std::string>(name));
    if (!id) {
        throw shared::Error(ErrorCode::InvalidParameter,
                            "details_json." + name + " is not a record id.");
    }
    return *id;
}

}  // namespace

void readPhotoDetails(std::string_view detailsJson, client::PhotoDraft& draft) {
    if (detailsJson.empty()) {
        return;
    }
    Poco::JSON::Object::Ptr details;
    try {
        Poco::JSON::Parser parser;
        details = parser.parse(std::string(detailsJson)).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        throw shared::Error(ErrorCode::MalformedJson, "details_json is not a JSON object.");
    } catch (const std::exception&) {
        throw shared::Error(ErrorCode::MalformedJson, "details_json is not a JSON object.");
    }
    try {
        draft.caption = details->optValue<std::string>("caption", "");
        draft.gps = details->optValue<std::string>("gps", "");
        draft.mediaType = details->optValue<std::string>("media_type", "");
        if (details->has("answer_id")) {
            draft.answerId = idMember(*details, "answer_id");
        }
        if (details->has("finding_id")) {
            draft.findingId = idMember(*details, "finding_id");
        }
        if (details->has("captured_at")) {
            draft.capturedAtMs = details->getValue<std::int64_t>("captured_at");
        }
    } catch (const shared::Error&) {
        throw;
    } catch (const std::exception&) {
        throw shared::Error(ErrorCode::InvalidParameter,
                            "details_json: a member has the wrong type (see verdant.h).");
    }
}

}  // namespace verdant::capi
