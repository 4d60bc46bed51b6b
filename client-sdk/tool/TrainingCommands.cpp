// The coordinator's day at the door: sessions, roster, checkin, checkout. None of them touches
// the network: the check-in token is validated offline with the tenant's synced key.

#include "Commands.hpp"
#include "Formatting.hpp"
#include "JsonViews.hpp"
#include "Session.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/training/Collections.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <iostream>
#include <optional>

namespace verdant::cli {

namespace {

namespace t = training::collections;
using shared::RecordId;
using shared::Value;

/// A string field's text, or "".
std::string textOf(const sync::Record& record, const char* field) {
    const auto found = record.fields.find(field);
    if (found == record.fields.end() || found->second.value.kind() != shared::ValueKind::String) {
        return {};
    }
    return found->second.value.as<std::string>();
}

/// A timestamp field as text, or "".
std::string timeText(const sync::Record& record, const char* field) {
    const auto found = record.fields.find(field);
    if (found == record.fields.end() ||
        found->second.value.kind() != shared::ValueKind::Timestamp) {
        return {};
    }
    return formatTime(found->second.value.as<shared::Timestamp>().ms);
}

/// A record id given on the command line; invalid_parameter if malformed.
RecordId parseId(const std::string& text, const std::string& what) {
    if (auto id = RecordId::parse(text)) {
        return *id;
    }
    throw shared::Error(shared::ErrorCode::InvalidParameter,
                        "The argument is not " + what + " (a UUID).");
}

/// A person's name as the roster shows it.
std::string personName(const client::RosterEntry& person) {
    if (!person.personNameZh.empty() && !person.personNameEn.empty()) {
        return person.personNameZh + " " + person.personNameEn;
    }
    return person.personNameZh + person.personNameEn;
}

std::optional<Poco::Int64> optionalTime(const std::optional<std::int64_t>& ms) {
    return ms ? std::optional<Poco::Int64>(*ms) : std::nullopt;
}

}  // namespace

int runSessions(const Invocation& invocation) {
    auto session = Session::open(invocation);
    auto& client = *session.client;
    const auto sessions = client.records(t::kTrainingSessions);
    if (invocation.json()) {
        auto document = jsonObject();
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& record : sessions) {
            auto item = jsonObject();
            item->set("id", record.id.toString());
            item->set("venue", textOf(record, "venue"));
            item->set("status", textOf(record, "status"));
            item->set("registrations", client.roster(record.id).people.size());
            list->add(item);
        }
        document->set("sessions", list);
        printJson(std::cout, document);
        return kExitOk;
    }
    TextTable table({"SESSION", "STARTS", "VENUE", "STATUS", "PEOPLE"});
    for (const auto& record : sessions) {
        table.add({record.id.toString(), timeText(record, "starts_at"), textOf(record, "venue"),
                   textOf(record, "status"),
                   std::to_string(client.roster(record.id).people.size())});
    }
    table.print(std::cout);
    return kExitOk;
}

int runRoster(const Invocation& invocation) {
    const auto sessionId = parseId(invocation.arguments[0], "a session id");
    auto session = Session::open(invocation);
    const auto roster = session.client->roster(sessionId);
    if (invocation.json()) {
        auto document = jsonObject();
        Poco::JSON::Array::Ptr people = new Poco::JSON::Array;
        for (const auto& person : roster.people) {
            auto item = jsonObject();
            item->set("registration_id", person.registrationId.toString());
            item->set("person_name_zh", person.personNameZh);
            item->set("person_name_en", person.personNameEn);
            item->set("state", person.state);
            const auto first = optionalTime(person.firstCheckIn);
            const auto last = optionalTime(person.lastCheckOut);
            item->set("first_check_in", first ? Poco::Dynamic::Var(*first) : Poco::Dynamic::Var());
            item->set("last_check_out", last ? Poco::Dynamic::Var(*last) : Poco::Dynamic::Var());
            item->set("recorded_by", person.recordedBy.size());
            people->add(item);
        }
        auto counts = jsonObject();
        for (const auto& [state, count] : roster.countsByState) {
            counts->set(state, count);
        }
        document->set("people", people);
        document->set("counts", counts);
        printJson(std::cout, document);
        return kExitOk;
    }
    TextTable table({"REGISTRATION", "NAME", "STATE", "CHECKED IN", "DOORS"});
    for (const auto& person : roster.people) {
        table.add({person.registrationId.toString(), personName(person), person.state,
                   person.firstCheckIn ? formatTime(*person.firstCheckIn) : "",
                   std::to_string(person.recordedBy.size())});
    }
    table.print(std::cout);
    for (const auto& [state, count] : roster.countsByState) {
        std::cout << "  " << state << ": " << count << "\n";
    }
    return kExitOk;
}

int runCheckIn(const Invocation& invocation) {
    const auto sessionId = parseId(invocation.arguments[0], "a session id");
    auto session = Session::open(invocation);
    const auto result = session.client->checkIn(sessionId, invocation.arguments[1]);
    if (!result.ok) {
        const auto code = result.error.value_or(shared::ErrorCode::InternalError);
        printError(
            invocation, code,
            result.message.empty() ? std::string(shared::defaultMessage(code)) : result.message);
        return kExitFailed;
    }
    if (invocation.json()) {
        auto document = jsonObject();
        document->set("registration_id", result.registrationId.toString());
        document->set("person_name", result.personName);
        document->set("state", "checked_in");
        printJson(std::cout, document);
    } else {
        std::cout << "Checked in " << result.personName << " (" << result.registrationId.toString()
                  << "): it reaches the server with the next sync.\n";
    }
    return kExitOk;
}

int runCheckOut(const Invocation& invocation) {
    const auto registrationId = parseId(invocation.arguments[0], "a registration id");
    auto session = Session::open(invocation);
    const auto result = session.client->checkOut(registrationId);
    if (!result.ok) {
        const auto code = result.error.value_or(shared::ErrorCode::InternalError);
        printError(
            invocation, code,
            result.message.empty() ? std::string(shared::defaultMessage(code)) : result.message,
            result.field);
        return kExitFailed;
    }
    if (invocation.json()) {
        auto document = jsonObject();
        document->set("registration_id", registrationId.toString());
        printJson(std::cout, document);
    } else {
        std::cout << "Checked out " << registrationId.toString() << ".\n";
    }
    return kExitOk;
}

/// The signed text of a `certificates` record's credential, when it holds one.
std::optional<std::string> signedCertificate(const std::optional<sync::Record>& record) {
    if (!record) {
        return std::nullopt;
    }
    const auto credential = record->fields.find("credential");
    if (credential == record->fields.end() ||
        credential->second.value.kind() != shared::ValueKind::Json) {
        return std::nullopt;
    }
    try {
        Poco::JSON::Parser parser;
        return parser.parse(credential->second.value.as<shared::JsonText>().text)
            .extract<Poco::JSON::Object::Ptr>()
            ->getValue<std::string>("jwt");
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

int runCertificate(const Invocation& invocation) {
    const auto registrationId = parseId(invocation.arguments[0], "a registration id");
    auto session = Session::open(invocation);
    const auto text = signedCertificate(
        session.client->record(t::kCertificates, training::certificateRecordId(registrationId)));
    if (!text) {
        printError(invocation, shared::ErrorCode::NotFound,
                   "This device holds no certificate for that registration (sync, or ask for it "
                   "to be issued).");
        return kExitFailed;
    }
    std::cout << *text << '\n';
    return kExitOk;
}

int runVerifyCertificate(const Invocation& invocation) {
    std::ifstream file(invocation.arguments[0], std::ios::binary);
    std::string text;
    if (file) {
        text.assign(std::istreambuf_iterator<char>(file), {});
    }
    if (!file && text.empty()) {
        printError(invocation, shared::ErrorCode::InvalidParameter,
                   "Cannot read the certificate file '" + invocation.arguments[0] + "'.");
        return kExitFailed;
    }
    auto session = Session::open(invocation);
    const auto check = session.client->verifyCertificate(text);
    if (!check.valid) {
        const auto code = check.error.value_or(shared::ErrorCode::InternalError);
        printError(
            invocation, code,
            check.message.empty() ? std::string(shared::defaultMessage(code)) : check.message);
        return kExitFailed;
    }
    if (invocation.json()) {
        auto document = jsonObject();
        document->set("certificate_id", check.certificateId.toString());
        document->set("person_name", check.personName);
        document->set("course_en", check.courseTitleEn);
        document->set("course_zh", check.courseTitleZh);
        document->set("issued_at", static_cast<Poco::Int64>(check.issuedAtMs));
        document->set("valid", true);
        printJson(std::cout, document);
    } else {
        std::cout << "Valid: " << check.personName << " attended " << check.courseTitleEn
                  << (check.courseTitleZh.empty() ? "" : " / " + check.courseTitleZh)
                  << " (certificate " << check.certificateId.toString() << ").\n";
    }
    return kExitOk;
}

}  // namespace verdant::cli
