// Check-in at the door through the device SDK against the real server over real TLS: the
// tenant's key published by sync, tokens printed by the server, validated offline on the
// coordinators' tablets, and two doors of one workshop reconciled (PRODUCT.md, scenario 3).

#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestDevice.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/training/Collections.hpp"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

namespace verdant {
namespace {

using client::Client;
using client::FieldWrite;
using server::Role;
using shared::ErrorCode;
using shared::RecordId;
using shared::Value;
namespace t = training::collections;

constexpr std::int64_t kHourMs = 60LL * 60 * 1000;

/// A tenant with HQ and two coordinators; zhao's workshop (starting in an hour, eight hours
/// long) with two registrations, synced to the server.
class CheckInAtTheDoor : public ::testing::Test {
protected:
    CheckInAtTheDoor() {
        test::seedTenant(_server, "acme",
                         {{"hq", Role::HqReviewer},
                          {"zhao", Role::TrainingCoordinator},
                          {"qian", Role::TrainingCoordinator}});
        _hqOffice = std::make_unique<test::TestDevice>(_server.endpoint(), "acme", "hq",
                                                       "hq-password", _clock);
        hq().set(t::kCourses, _course, "title_en", Value::string("Wastewater basics"));
        hq().push();
        auto office = tablet("zhao", "office");
        office->sync();
        _session = createSession(*office);
        _otherSession = createSession(*office);
        _wang = registration(*office, _session, "Wang Fang");
        _liu = registration(*office, _session, "Liu Yang");
        registration(*office, _otherSession, "Wang Fang");
        EXPECT_TRUE(office->sync().complete);
    }

    test::TestDevice& hq() { return *_hqOffice; }

    std::unique_ptr<Client> tablet(const std::string& user, const std::string& device) {
        client::ClientOptions options;
        options.dataDirectory = _dir.file(user + "-" + device);
        options.server = _server.endpoint();
        options.deviceName = device;
        options.clock = &_clock;
        options.sleep = [](std::chrono::milliseconds) {};
        return Client::signIn(options, "acme", user, user + "-password");
    }

    RecordId createSession(Client& office) {
        const auto start = _clock.nowMs() + kHourMs;
        return office
            .create(t::kTrainingSessions,
                    {FieldWrite::set("course_id", Value::id(_course)),
                     FieldWrite::set("coordinator_id", Value::string(office.userId())),
                     FieldWrite::set("starts_at", Value::timestamp(start)),
                     FieldWrite::set("ends_at", Value::timestamp(start + 8 * kHourMs)),
                     FieldWrite::set("status", Value::string("open"))})
            .recordId;
    }

    static RecordId registration(Client& office, const RecordId& session, const std::string& name) {
        return office
            .create(t::kAttendance, {FieldWrite::set("session_id", Value::id(session)),
                                     FieldWrite::set("person_name_en", Value::string(name)),
                                     FieldWrite::set("state", Value::string("registered"))})
            .recordId;
    }

    /// GET `path` as `device`: the status and the parsed body.
    static std::pair<int, Poco::JSON::Object::Ptr> get(test::TestDevice& device,
                                                       const std::string& path) {
        const auto response = device.send("GET", path);
        Poco::JSON::Parser parser;
        return {response.status, parser.parse(response.body).extract<Poco::JSON::Object::Ptr>()};
    }

    /// The check-in token of each registration of `session`, as HQ prints them.
    std::map<RecordId, std::string> tokens(const RecordId& session) {
        const auto [status, body] =
            get(hq(), "/v1/training/sessions/" + session.toString() + "/tokens");
        EXPECT_EQ(status, 200);
        std::map<RecordId, std::string> result;
        const auto list = body->getArray("tokens");
        for (std::size_t i = 0; list && i < list->size(); ++i) {
            const auto entry = list->getObject(static_cast<unsigned>(i));
            result[*RecordId::parse(entry->getValue<std::string>("registration_id"))] =
                entry->getValue<std::string>("token");
        }
        return result;
    }

    /// A registration as the server holds it.
    sync::Record onServer(const RecordId& registration) {
        return *_server.server().stores().with(
            _server.server().accounts().tenantBySlug("acme")->id,
            [&](sync::Store& store) { return store.record(t::kAttendance, registration); });
    }

    static std::string stateOf(const sync::Record& record) {
        return record.fields.at("state").value.as<std::string>();
    }

    shared::ManualClock _clock{1'800'000'000'000};
    test::ServerHarness _server{{}, {&_clock}};
    test::TemporaryDirectory _dir;
    std::unique_ptr<test::TestDevice> _hqOffice;  // HQ, online
    RecordId _course = shared::IdGenerator(_clock).nextRecordId();
    RecordId _session;
    RecordId _otherSession;
    RecordId _wang;
    RecordId _liu;
};

/// `result` refused with `code` and nothing queued on `door`.
void expectRefused(const client::CheckInResult& result, ErrorCode code, Client& door,
                   std::size_t pendingBefore) {
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error, code) << result.message;
    EXPECT_EQ(door.pendingChanges().size(), pendingBefore) << "nothing written";
}

TEST_F(CheckInAtTheDoor, ATokenIsCheckedOfflineAndEachBadTokenIsRefusedWithItsOwnCode) {
    const auto printed = tokens(_session);
    ASSERT_EQ(printed.size(), 2U);
    const auto otherSession = tokens(_otherSession).begin()->second;
    auto door = tablet("zhao", "door");
    ASSERT_TRUE(door->sync().complete) << "the key and the roster arrive before the event";
    // Offline from here on: nothing below talks to the server until the last sync.
    const auto valid = printed.at(_wang);
    auto forged = valid;
    auto& altered = forged[forged.size() - 20];
    altered = altered == 'A' ? 'B' : 'A';

    expectRefused(door->checkIn(_session, forged), ErrorCode::CheckInTokenForged, *door, 0);
    expectRefused(door->checkIn(_session, otherSession), ErrorCode::CheckInTokenOtherSession, *door,
                  0);
    expectRefused(door->checkIn(_session, "vct1.not-a-token"), ErrorCode::CheckInTokenMalformed,
                  *door, 0);
    const auto now = _clock.nowMs();
    _clock.set(now + 30 * kHourMs);  // the day after
    expectRefused(door->checkIn(_session, valid), ErrorCode::CheckInTokenExpired, *door, 0);
    _clock.set(now - 24 * kHourMs);  // the day before
    expectRefused(door->checkIn(_session, valid), ErrorCode::CheckInTokenNotYetValid, *door, 0);
    _clock.set(now);

    const auto accepted = door->checkIn(_session, valid + "\r\n");  // a scanner's newline
    ASSERT_TRUE(accepted.ok) << accepted.message;
    EXPECT_EQ(accepted.registrationId, _wang);
    EXPECT_EQ(accepted.personName, "Wang Fang");
    EXPECT_EQ(door->roster(_session).countsByState.at("checked_in"), 1U);
    EXPECT_EQ(stateOf(onServer(_wang)), "registered") << "offline: not on the server yet";

    EXPECT_TRUE(door->sync().complete);
    EXPECT_TRUE(door->quarantine().empty());
    const auto stored = onServer(_wang);
    EXPECT_EQ(stateOf(stored), "checked_in");
    EXPECT_EQ(stored.fields.at("first_check_in").value, Value::timestamp(now));
}

TEST_F(CheckInAtTheDoor, TwoDoorsOfflineGiveOneAttendanceEachAndACheckInBeatsACancellation) {
    const auto printed = tokens(_session);
    auto north = tablet("zhao", "north-door");
    auto south = tablet("zhao", "south-door");
    ASSERT_TRUE(north->sync().complete);
    ASSERT_TRUE(south->sync().complete);

    // Both tablets offline. Wang is scanned at the south door first, then at the north door.
    const auto early = _clock.nowMs();
    ASSERT_TRUE(south->checkIn(_session, printed.at(_wang)).ok);
    _clock.advance(5 * 60 * 1000);
    ASSERT_TRUE(north->checkIn(_session, printed.at(_wang)).ok);
    // Liu is checked in at the north door while HQ cancels her registration online.
    ASSERT_TRUE(north->checkIn(_session, printed.at(_liu)).ok);
    hq().set(t::kAttendance, _liu, "state", Value::string("cancelled"));
    ASSERT_FALSE(hq().push().results.front().error);

    for (auto* door : {north.get(), south.get(), north.get()}) {
        const auto report = door->sync();
        EXPECT_TRUE(report.complete);
        EXPECT_EQ(report.quarantined, 0U);
    }
    hq().pull();
    const auto wangServer = onServer(_wang);
    EXPECT_EQ(stateOf(wangServer), "checked_in");
    EXPECT_EQ(wangServer.fields.at("first_check_in").value, Value::timestamp(early))
        << "the earliest door counts";
    EXPECT_EQ(wangServer.fields.at("recorded_by").elements.size(), 2U) << "both doors recorded";
    EXPECT_EQ(stateOf(onServer(_liu)), "checked_in") << "she is there: the check-in wins";

    for (auto* door : {north.get(), south.get()}) {
        const auto roster = door->roster(_session);
        ASSERT_EQ(roster.people.size(), 2U) << "one attendance each";
        EXPECT_EQ(roster.countsByState.at("checked_in"), 2U);
        for (const auto& person : roster.people) {
            if (person.registrationId == _wang) {
                EXPECT_EQ(person.firstCheckIn, early);
                EXPECT_EQ(person.recordedBy.size(), 2U);
            }
        }
    }
    const auto hqLiu = hq().replica().record(t::kAttendance, _liu);
    ASSERT_TRUE(hqLiu);
    EXPECT_EQ(stateOf(*hqLiu), "checked_in");
    EXPECT_EQ(stateOf(*hq().replica().record(t::kAttendance, _wang)), "checked_in");
}

TEST_F(CheckInAtTheDoor, TheKeyIsPublishedOnceKeptSecretAndTokensOnlyForTheSessionsCoordinator) {
    const auto [status, key] = get(hq(), "/v1/training/keys");
    ASSERT_EQ(status, 200);
    EXPECT_EQ(key->getValue<std::string>("algorithm"), "Ed25519");
    const auto publicKey = key->getValue<std::string>("public_key");
    EXPECT_EQ(get(hq(), "/v1/training/keys").second->getValue<std::string>("public_key"), publicKey)
        << "one key per tenant";
    auto door = tablet("qian", "door");
    door->sync();
    const auto tenant = _server.server().accounts().tenantBySlug("acme")->id;
    const auto synced = door->record(t::kTrainingKeys, training::trainingKeyRecordId(tenant));
    ASSERT_TRUE(synced) << "every user receives the key";
    EXPECT_EQ(synced->fields.at("public_key").value, Value::string(publicKey));

    struct stat info {};
    ASSERT_EQ(
        ::stat((_server.server().config().dataDir + "/training-keys/" + tenant + ".key").c_str(),
               &info),
        0);
    EXPECT_EQ(info.st_mode & 0777, 0600U);

    test::TestDevice qian(_server.endpoint(), "acme", "qian", "qian-password", _clock);
    const auto [forbidden, refusal] =
        get(qian, "/v1/training/sessions/" + _session.toString() + "/tokens");
    EXPECT_EQ(forbidden, 403);
    EXPECT_EQ(refusal->getObject("error")->getValue<std::string>("code"), "forbidden");
    const auto [missing, absent] =
        get(qian, "/v1/training/sessions/" + shared::IdGenerator(_clock).nextRecordId().toString() +
                      "/tokens");
    EXPECT_EQ(missing, 404);
    EXPECT_EQ(absent->getObject("error")->getValue<std::string>("code"), "not_found");
}

TEST(TrainingKey, TheSameKeyIsServedAfterARestart) {
    shared::ManualClock clock{1'800'000'000'000};
    test::TemporaryDirectory data;
    const auto keep = [&](server::ServerConfig& config) { config.dataDir = data.path(); };
    const auto publicKey = [&](test::ServerHarness& server) {
        test::TestDevice hq(server.endpoint(), "acme", "hq", "hq-password", clock);
        const auto response = hq.send("GET", "/v1/training/keys");
        EXPECT_EQ(response.status, 200);
        Poco::JSON::Parser parser;
        return parser.parse(response.body)
            .extract<Poco::JSON::Object::Ptr>()
            ->getValue<std::string>("public_key");
    };
    std::string before;
    {
        test::ServerHarness server{keep, {&clock}};
        test::seedTenant(server, "acme", {{"hq", Role::HqReviewer}});
        before = publicKey(server);
    }
    test::ServerHarness restarted{keep, {&clock}};
    EXPECT_EQ(publicKey(restarted), before) << "badges printed before the restart still pass";
}

TEST_F(CheckInAtTheDoor, TheBadgeSheetPrintsEachPersonsNameAndTokenAsAQrCode) {
    auto office = tablet("zhao", "office");
    office->sync();
    registration(*office, _session, "<script>alert(1)</script>");
    const auto gone = registration(*office, _session, "Gone Person");
    ASSERT_TRUE(
        office->write(t::kAttendance, gone, {FieldWrite::set("state", Value::string("cancelled"))})
            .ok);
    ASSERT_TRUE(office->sync().complete);

    const auto path = "/v1/training/sessions/" + _session.toString() + "/badges";
    const auto sheet = hq().send("GET", path);
    ASSERT_EQ(sheet.status, 200) << sheet.body;
    EXPECT_NE(sheet.body.find("<!doctype html>"), std::string::npos);
    std::size_t codes = 0;
    for (auto at = sheet.body.find("<svg"); at != std::string::npos;
         at = sheet.body.find("<svg", at + 1)) {
        ++codes;
    }
    EXPECT_EQ(codes, 3U) << "one QR code per registration of the session, none if cancelled";
    EXPECT_EQ(sheet.body.find("Gone Person"), std::string::npos);
    EXPECT_NE(sheet.body.find("Wang Fang"), std::string::npos);
    EXPECT_NE(sheet.body.find("Liu Yang"), std::string::npos);
    EXPECT_EQ(sheet.body.find("<script>"), std::string::npos) << "names are escaped";
    EXPECT_NE(sheet.body.find("&lt;script&gt;"), std::string::npos);

    test::TestDevice qian(_server.endpoint(), "acme", "qian", "qian-password", _clock);
    EXPECT_EQ(qian.send("GET", path).status, 403) << "another coordinator's session";
}

TEST_F(CheckInAtTheDoor, ACertificateVerifiesOfflineAndReadsRevokedAfterTheNextSync) {
    const auto badge = tokens(_session).at(_wang);  // printed: the key is published
    auto door = tablet("zhao", "door");
    ASSERT_TRUE(door->sync().complete);
    ASSERT_TRUE(door->checkIn(_session, badge).ok);
    ASSERT_TRUE(door->sync().complete);

    const auto path = "/v1/training/sessions/" + _session.toString() + "/certificates";
    const auto [status, issued] = [&] {
        const auto response = hq().send("POST", path, "application/json", "{}");
        EXPECT_EQ(response.status, 200) << response.body;
        Poco::JSON::Parser parser;
        return std::pair{response.status,
                         parser.parse(response.body).extract<Poco::JSON::Object::Ptr>()};
    }();
    ASSERT_EQ(status, 200);
    ASSERT_EQ(issued->getArray("issued")->size(), 1U) << "Wang came; Liu did not check in";
    const auto certificateId = training::certificateRecordId(_wang);

    ASSERT_TRUE(door->sync().complete);
    const auto record = door->record(t::kCertificates, certificateId);
    ASSERT_TRUE(record) << "the certificate syncs to the session's tablets";
    Poco::JSON::Parser parser;
    const auto text =
        parser.parse(record->fields.at("credential").value.as<shared::JsonText>().text)
            .extract<Poco::JSON::Object::Ptr>()
            ->getValue<std::string>("jwt");

    const auto check = door->verifyCertificate(text + "\n");
    EXPECT_TRUE(check.valid) << check.message;
    EXPECT_EQ(check.personName, "Wang Fang");
    EXPECT_EQ(check.courseTitleEn, "Wastewater basics");
    auto changed = text;
    changed[changed.size() / 2] = changed[changed.size() / 2] == 'A' ? 'B' : 'A';
    const auto tampered = door->verifyCertificate(changed);
    EXPECT_FALSE(tampered.valid);
    EXPECT_TRUE(tampered.error == ErrorCode::CertificateForged ||
                tampered.error == ErrorCode::CertificateMalformed);

    hq().pull();
    hq().set(t::kCertificates, certificateId, "status", Value::string("revoked"));
    hq().push();
    EXPECT_TRUE(door->verifyCertificate(text).valid) << "offline, the tablet does not know yet";
    ASSERT_TRUE(door->sync().complete);
    const auto revoked = door->verifyCertificate(text);
    EXPECT_FALSE(revoked.valid);
    EXPECT_EQ(revoked.error, ErrorCode::CertificateRevoked);

    const auto again = hq().send("POST", path, "application/json", "{}");
    EXPECT_NE(again.body.find("\"existing\":[{"), std::string::npos) << again.body;
}

}  // namespace
}  // namespace verdant
