#include "CertificateIssuer.hpp"

#include "RecordFields.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/training/Collections.hpp"

#include <Poco/JSON/Object.h>

namespace verdant::server {

namespace {

namespace c = training::collections;
using shared::RecordId;
using shared::Value;
using training_office::idField;

std::string textOf(const sync::Record& record, const char* field) {
    return training_office::textField(record, field).value_or("");
}

std::string textOf(const std::optional<sync::Record>& record, const char* field) {
    return record ? textOf(*record, field) : std::string();
}

/// Whether the person came: checked in or attended, and not judged absent or no-show.
bool came(const sync::Record& registration) {
    const auto state = textOf(registration, "state");
    const auto outcome = textOf(registration, "outcome");
    return (state == "checked_in" || state == "attended") && outcome != "absent" &&
           outcome != "no_show";
}

std::string personName(const sync::Record& registration) {
    const auto zh = textOf(registration, "person_name_zh");
    const auto en = textOf(registration, "person_name_en");
    return zh.empty() ? en : (en.empty() ? zh : zh + " " + en);
}

}  // namespace

IssuedCertificates certificatesFor(const sync::Store& store, const sync::Record& session,
                                   const training::SigningKey& key,
                                   const training::TenantId& tenant, const std::string& issuerName,
                                   std::int64_t nowMs) {
    IssuedCertificates result;
    const auto courseId = idField(session, "course_id");
    auto course = courseId ? store.record(c::kCourses, *courseId) : std::nullopt;
    if (course && course->deleted) {
        course.reset();  // no certificate names a deleted course
    }
    for (const auto& id : store.findRecords(c::kAttendance, "session_id", Value::id(session.id))) {
        const auto registration = store.record(c::kAttendance, id);
        if (!registration || registration->deleted || !came(*registration) || !course ||
            personName(*registration).empty()) {
            continue;
        }
        const auto certificate = training::certificateRecordId(id);
        if (store.record(c::kCertificates, certificate)) {
            result.existing.push_back(id);
            continue;
        }
        training::CertificateClaims claims;
        claims.certificateId = certificate;
        claims.tenantId = tenant;
        claims.issuerName = issuerName;
        claims.courseId = *courseId;
        claims.courseTitleEn = textOf(course, "title_en");
        claims.courseTitleZh = textOf(course, "title_zh");
        claims.sessionId = session.id;
        claims.registrationId = id;
        claims.personName = personName(*registration);
        const auto supplier = idField(*registration, "supplier_id");
        claims.supplierId = supplier.value_or(RecordId());
        claims.supplierName =
            supplier ? textOf(store.record(audit::collections::kSuppliers, *supplier), "name_en")
                     : std::string();
        claims.issuedAtMs = nowMs;
        if (claims.courseTitleEn.empty()) {
            continue;  // no certificate names an untitled course
        }
        const auto credential = training::issueCertificate(key, claims);
        if (credential.size() > training::kMaxCertificateLength) {
            continue;  // names too long for any verifier to read: not issued
        }
        const auto set = [&](const char* field, Value value) {
            result.writes.push_back(
                {c::kCertificates, certificate, field, shared::Operation::Set, std::move(value)});
        };
        set("session_id", Value::id(session.id));
        set("registration_id", Value::id(id));
        set("course_id", Value::id(*courseId));
        set("person_name", Value::string(claims.personName));
        if (supplier) {
            set("supplier_id", Value::id(*supplier));
        }
        set("issued_at", Value::timestamp(nowMs));
        set("credential", Value::json(R"({"format":"vc+jwt","jwt":")" + credential + "\"}"));
        set("status", Value::string("valid"));
        result.issued.push_back(id);
    }
    return result;
}

}  // namespace verdant::server
