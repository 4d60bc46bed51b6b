// The C API (verdant.h): the C program capi_smoke, built as C11 under the sanitizers, signs in,
// writes, syncs and reads against the real server over TLS; the server must then hold what it
// wrote. Plus the checks of the C surface that need no server.

#include "ChildProcess.hpp"
#include "JsonWriter.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestDevice.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/verdant.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>

namespace verdant {
namespace {

using shared::RecordId;
using shared::Value;
namespace c = audit::collections;

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// The rest of the line after `prefix` in `text`, or "".
std::string lineValue(const std::string& text, const std::string& prefix) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(prefix, 0) == 0) {
            return line.substr(prefix.size());
        }
    }
    return {};
}

TEST(CProgram, SignsInWritesSyncsAndReadsThroughVerdantHOnly) {
    test::ServerHarness harness;
    const auto tenantId = test::seedTenant(harness, "acme", {{"hq", server::Role::HqReviewer}});
    test::TemporaryDirectory work;
    shared::IdGenerator ids(shared::SystemClock::instance());
    const auto audit = ids.nextRecordId();

    const auto log = work.file("capi_smoke.log");
    test::ChildProcess program(VERDANT_CAPI_SMOKE,
                               {harness.baseUrl(), harness.endpoint().caFile, "acme", "hq",
                                "hq-password", work.file("device-data"), audit.toString()},
                               log);
    const auto exitCode = program.waitFor(std::chrono::seconds(180));
    ASSERT_TRUE(exitCode.has_value()) << "capi_smoke did not finish:\n" << readFile(log);
    ASSERT_EQ(*exitCode, 0) << "capi_smoke failed:\n" << readFile(log);
    const auto output = readFile(log);
    EXPECT_NE(output.find("capi_smoke: ok"), std::string::npos) << output;
    const auto finding = RecordId::parse(lineValue(output, "finding="));
    ASSERT_TRUE(finding) << output;

    // What the C program wrote online, in the background, and offline has reached the server.
    const auto onServer = [&](const char* collection, const RecordId& id) {
        return harness.server().stores().with(
            tenantId, [&](sync::Store& store) { return store.record(collection, id); });
    };
    const auto auditRecord = onServer(c::kAudits, audit);
    ASSERT_TRUE(auditRecord);
    EXPECT_EQ(auditRecord->fields.at("type").value, Value::string("periodic"));
    EXPECT_EQ(auditRecord->fields.at("assignee_id").value, Value::string("hq"));
    EXPECT_EQ(auditRecord->fields.at("scheduled_for").value, Value::timestamp(1'800'000'000'000));
    EXPECT_EQ(auditRecord->fields.at("team").elements, (std::vector<std::string>{"li", "wang"}));

    const auto findingRecord = onServer(c::kFindings, *finding);
    ASSERT_TRUE(findingRecord);
    EXPECT_EQ(findingRecord->fields.at("audit_id").value, Value::id(audit));
    EXPECT_EQ(findingRecord->fields.at("severity").value, Value::string("minor"));
    EXPECT_EQ(findingRecord->fields.at("clause").value, Value::string("4.2"))
        << "written while background sync ran";
    EXPECT_EQ(findingRecord->fields.at("description").value, Value::string("Edited offline"))
        << "written offline, sent after re-opening online";
    EXPECT_EQ(findingRecord->fields.at("evidence").elements, (std::vector<std::string>{"photo-1"}));

    const auto answerRecord = onServer(c::kAnswers, audit::answerRecordId(audit, "q1"));
    ASSERT_TRUE(answerRecord) << "the answer id the C program computed is the shared one";
    EXPECT_EQ(answerRecord->fields.at("value").value, Value::json(R"({"answer":"yes","score":3})"));
    EXPECT_EQ(answerRecord->fields.at("question_id").value, Value::string("q1"));
}

/// A C client signed in for `username` (password "<username>-password") of tenant "acme".
struct SignedIn {
    SignedIn(const test::ServerHarness& harness, const std::string& dataDir,
             const std::string& username) {
        verdant_options options;
        verdant_options_init(&options);
        const auto url = harness.baseUrl();
        const auto endpoint = harness.endpoint();
        options.data_directory = dataDir.c_str();
        options.server_url = url.c_str();
        options.ca_file = endpoint.caFile.c_str();
        const auto password = username + "-password";
        code = verdant_sign_in(&options, "acme", username.c_str(), password.c_str(), &client);
    }
    ~SignedIn() { verdant_close(client); }
    SignedIn(const SignedIn&) = delete;
    SignedIn& operator=(const SignedIn&) = delete;

    int code = VERDANT_OK;
    verdant_client* client = nullptr;
};

/// A tenant with HQ and the field expert li, and an audit HQ assigned to li (pushed).
class AssignedAudit : public ::testing::Test {
protected:
    AssignedAudit() {
        hq.set(c::kAudits, audit, "assignee_id", Value::string(liElsewhere.userId()));
        hq.push();
    }

    test::ServerHarness harness;
    const std::string tenantId = test::seedTenant(
        harness, "acme", {{"hq", server::Role::HqReviewer}, {"li", server::Role::FieldExpert}});
    test::TestDevice hq{harness.endpoint(), "acme", "hq", "hq-password",
                        shared::SystemClock::instance()};
    test::TestDevice liElsewhere{harness.endpoint(), "acme", "li", "li-password",
                                 shared::SystemClock::instance()};
    const shared::RecordId audit =
        shared::IdGenerator(shared::SystemClock::instance()).nextRecordId();
};

class FieldExpert : public AssignedAudit {};
class LogCallback : public AssignedAudit {};

TEST_F(FieldExpert, AnswerWrittenWithItsAuditIdLastLandsInTheAssignedAudit) {
    test::TemporaryDirectory work;
    SignedIn li(harness, work.file("device-data"), "li");
    ASSERT_EQ(li.code, VERDANT_OK) << verdant_last_error_message();
    verdant_sync_report report{};
    report.struct_size = sizeof report;
    ASSERT_EQ(verdant_sync(li.client, &report), VERDANT_OK);
    ASSERT_EQ(report.complete, 1) << verdant_last_error_message();

    // The object names the parent field last; the C API sends it first, so the server knows
    // the answer's scope from its first change and lets a field expert write it.
    const auto answer = audit::answerRecordId(audit, "q7").toString();
    const auto fields = R"({"value":{"answer":"no"},"comment":"Drums unlabelled","audit_id":")" +
                        audit.toString() + R"("})";
    ASSERT_EQ(verdant_write_json(li.client, "answers", answer.c_str(), fields.c_str(), nullptr),
              VERDANT_OK)
        << verdant_last_error_message();
    ASSERT_EQ(verdant_sync(li.client, &report), VERDANT_OK);
    EXPECT_EQ(report.complete, 1) << verdant_last_error_message();
    EXPECT_EQ(report.quarantined, 0U);
    EXPECT_EQ(report.pushed, 3U);

    const auto onServer = harness.server().stores().with(tenantId, [&](sync::Store& store) {
        return store.record(c::kAnswers, *RecordId::parse(answer));
    });
    ASSERT_TRUE(onServer);
    EXPECT_EQ(onServer->fields.at("value").value, Value::json(R"({"answer":"no"})"));
    EXPECT_EQ(onServer->fields.at("comment").value, Value::string("Drums unlabelled"));
}

TEST_F(FieldExpert, APhotoTakenThroughTheCApiSyncsItsRecordAndWaitsForWifiWithItsBytes) {
    test::TemporaryDirectory work;
    SignedIn li(harness, work.file("device-data"), "li");
    ASSERT_EQ(li.code, VERDANT_OK) << verdant_last_error_message();
    const std::string bytes = "\xFF\xD8\xFF\xE0 a photo of unlabelled drums";
    std::ofstream(work.file("drums.jpg"), std::ios::binary) << bytes;

    char* photoId = nullptr;
    ASSERT_EQ(verdant_photo_add(li.client, audit.toString().c_str(), work.file("drums.jpg").c_str(),
                                R"({"caption":"Drums"})", &photoId),
              VERDANT_OK)
        << verdant_last_error_message();
    const std::string photo = photoId;
    verdant_string_free(photoId);
    ASSERT_EQ(verdant_set_upload_settings(li.client, 1, 0, 0), VERDANT_OK);
    ASSERT_EQ(verdant_set_network(li.client, VERDANT_NETWORK_CELLULAR), VERDANT_OK);
    EXPECT_EQ(verdant_set_network(li.client, 7), VERDANT_ERROR_INVALID_PARAMETER);

    verdant_sync_report sync{};
    sync.struct_size = sizeof sync;
    ASSERT_EQ(verdant_sync(li.client, &sync), VERDANT_OK);
    EXPECT_EQ(sync.complete, 1) << verdant_last_error_message();
    verdant_upload_report upload{};
    upload.struct_size = sizeof upload;
    ASSERT_EQ(verdant_photo_upload(li.client, &upload), VERDANT_OK);
    EXPECT_EQ(upload.complete, 0);
    EXPECT_EQ(upload.pending, 1U);
    EXPECT_EQ(upload.bytes_sent, 0U);

    char* list = nullptr;
    ASSERT_EQ(verdant_photo_list_json(li.client, audit.toString().c_str(), &list), VERDANT_OK);
    const std::string json = list;
    verdant_string_free(list);
    EXPECT_THAT(json, ::testing::HasSubstr(R"("photo_id":")" + photo + '"'));
    EXPECT_THAT(json, ::testing::HasSubstr(R"("state":"pending","state_code":0)"));
    EXPECT_THAT(json, ::testing::HasSubstr(R"("message":"waiting for Wi-Fi")"));

    const auto onServer = harness.server().stores().with(tenantId, [&](sync::Store& store) {
        return store.record(c::kPhotos, *RecordId::parse(photo));
    });
    ASSERT_TRUE(onServer) << "the record went with the sync, its bytes wait";
    EXPECT_EQ(onServer->fields.at("caption").value, Value::string("Drums"));
    EXPECT_EQ(onServer->fields.at("size_bytes").value,
              Value::integer(static_cast<std::int64_t>(bytes.size())));

    ASSERT_EQ(verdant_photo_download(li.client, photo.c_str(), work.file("copy.jpg").c_str()),
              VERDANT_OK)
        << verdant_last_error_message();
    EXPECT_EQ(readFile(work.file("copy.jpg")), bytes);
    EXPECT_EQ(verdant_photo_add(li.client, audit.toString().c_str(),
                                work.file("missing.jpg").c_str(), nullptr, &photoId),
              VERDANT_ERROR_NOT_FOUND);
    EXPECT_EQ(photoId, nullptr);
}

TEST_F(FieldExpert, AFailedPhotoRetriedThroughTheCApiIsPendingAgain) {
    test::TemporaryDirectory work;
    SignedIn li(harness, work.file("device-data"), "li");
    ASSERT_EQ(li.code, VERDANT_OK) << verdant_last_error_message();
    std::ofstream(work.file("notes.jpg"), std::ios::binary) << "plain text, not a JPEG at all";
    char* photoId = nullptr;
    ASSERT_EQ(verdant_photo_add(li.client, audit.toString().c_str(), work.file("notes.jpg").c_str(),
                                nullptr, &photoId),
              VERDANT_OK)
        << verdant_last_error_message();
    const std::string photo = photoId;
    verdant_string_free(photoId);
    verdant_sync_report sync{};
    sync.struct_size = sizeof sync;
    ASSERT_EQ(verdant_sync(li.client, &sync), VERDANT_OK);
    verdant_upload_report upload{};
    upload.struct_size = sizeof upload;
    ASSERT_EQ(verdant_photo_upload(li.client, &upload), VERDANT_OK);
    ASSERT_EQ(upload.failed, 1U);
    EXPECT_EQ(upload.first_error_code, VERDANT_ERROR_MEDIA_TYPE_NOT_ALLOWED);

    const auto stateOf = [&] {
        char* list = nullptr;
        EXPECT_EQ(verdant_photo_list_json(li.client, nullptr, &list), VERDANT_OK);
        const std::string json = list ? list : "";
        verdant_string_free(list);
        return json;
    };
    EXPECT_THAT(stateOf(), ::testing::HasSubstr(R"("state":"failed")"));
    ASSERT_EQ(verdant_photo_retry(li.client, photo.c_str()), VERDANT_OK)
        << verdant_last_error_message();
    EXPECT_THAT(stateOf(), ::testing::HasSubstr(R"("state":"pending","state_code":0)"));
    // Pending now, so not retried twice; a photo this device never took is not found.
    EXPECT_EQ(verdant_photo_retry(li.client, photo.c_str()), VERDANT_ERROR_INVALID_PARAMETER);
    EXPECT_EQ(verdant_photo_retry(li.client, audit.toString().c_str()), VERDANT_ERROR_NOT_FOUND);
    EXPECT_EQ(verdant_photo_retry(li.client, nullptr), VERDANT_ERROR_INVALID_PARAMETER);
}

TEST(ErrorCodes, EveryRowOfTheTableHasItsWireNameAndCategoryInC) {
    std::size_t known = 0;
    for (int number = 1; number < 1000; ++number) {
        const auto code = shared::errorCodeFromNumber(static_cast<std::uint16_t>(number));
        if (!code) {
            EXPECT_STREQ(verdant_error_name(number), "unknown") << number;
            EXPECT_EQ(verdant_error_category(number), -1) << number;
            continue;
        }
        ++known;
        EXPECT_EQ(verdant_error_name(number), shared::wireName(*code)) << number;
        EXPECT_EQ(verdant_error_category(number), static_cast<int>(shared::categoryOf(*code)));
        EXPECT_EQ(verdant_error_is_retryable(number), shared::isRetryable(*code) ? 1 : 0);
    }
    EXPECT_GE(known, 30U);
    EXPECT_STREQ(verdant_error_name(VERDANT_OK), "ok");
    EXPECT_STREQ(verdant_error_name(-1), "unknown");
}

/// What a C log callback saw: the user_data it was given and each entry, copied.
struct CLog {
    std::vector<void*> userData;
    std::vector<std::string> events;
    std::vector<std::uint64_t> changes;
    std::vector<int> levels;
    std::vector<int> errorCodes;

    static void record(void* userData, const verdant_log_entry* entry) {
        auto* log = static_cast<CLog*>(userData);
        log->userData.push_back(userData);
        log->events.emplace_back(entry->event);
        log->changes.push_back(entry->changes);
        log->levels.push_back(entry->level);
        log->errorCodes.push_back(entry->error_code);
        EXPECT_EQ(entry->struct_size, sizeof(verdant_log_entry));
        EXPECT_NE(entry->message, nullptr);
    }
};

TEST_F(LogCallback, FiresWithItsUserDataForEachStepOfASyncUntilRemoved) {
    test::TemporaryDirectory work;
    SignedIn li(harness, work.file("device-data"), "li");
    ASSERT_EQ(li.code, VERDANT_OK) << verdant_last_error_message();
    verdant_sync_report report{};
    report.struct_size = sizeof report;
    ASSERT_EQ(verdant_sync(li.client, &report), VERDANT_OK);
    const auto answer = audit::answerRecordId(audit, "q7").toString();
    const auto fields = R"({"value":{"answer":"no"},"audit_id":")" + audit.toString() + R"("})";
    ASSERT_EQ(verdant_write_json(li.client, "answers", answer.c_str(), fields.c_str(), nullptr),
              VERDANT_OK)
        << verdant_last_error_message();

    CLog log;
    ASSERT_EQ(verdant_set_log_callback(li.client, &CLog::record, &log), VERDANT_OK);
    ASSERT_EQ(verdant_sync(li.client, &report), VERDANT_OK);
    ASSERT_EQ(report.complete, 1) << verdant_last_error_message();
    EXPECT_THAT(log.events, ::testing::ElementsAre("sync.started", "push.sent", "push.acknowledged",
                                                   "pull.round", "pull.done", "sync.completed"));
    EXPECT_THAT(log.userData, ::testing::Each(static_cast<void*>(&log)));
    ASSERT_EQ(log.changes.size(), 6U);
    EXPECT_EQ(log.changes[2], 2U) << "the answer's two fields acknowledged";
    EXPECT_EQ(log.levels[0], VERDANT_LOG_DEBUG);
    EXPECT_EQ(log.levels[2], VERDANT_LOG_INFO);
    EXPECT_THAT(log.errorCodes, ::testing::Each(VERDANT_OK));

    ASSERT_EQ(verdant_set_log_callback(li.client, nullptr, nullptr), VERDANT_OK);
    ASSERT_EQ(verdant_sync(li.client, &report), VERDANT_OK);
    EXPECT_EQ(log.events.size(), 6U) << "removed: no more calls";
}

TEST(NullArguments, AreInvalidParametersNeverCrashes) {
    const char* id = "0190f3a2-7b1c-7d3e-8f00-1a2b3c4d5e6f";
    char* out = nullptr;
    int number = 0;
    std::uint64_t handle = 0;
    verdant_options options;
    verdant_options_init(&options);
    verdant_client* client = nullptr;
    const auto callback = [](void*, const verdant_record_event*) {};
    constexpr int kInvalid = VERDANT_ERROR_INVALID_PARAMETER;

    EXPECT_EQ(verdant_sign_in(&options, "t", "u", "p", &client), kInvalid) << "no directory";
    EXPECT_STREQ(verdant_last_error_field(), "");
    EXPECT_NE(std::string(verdant_last_error_message()), "");
    EXPECT_EQ(verdant_open(nullptr, "t", "u", &client), kInvalid);
    EXPECT_EQ(client, nullptr);
    EXPECT_EQ(verdant_database_path(nullptr, "t", "u", &out), kInvalid);
    EXPECT_EQ(verdant_answer_record_id(id, nullptr, &out), kInvalid);
    EXPECT_EQ(verdant_sign_out(nullptr), kInvalid);
    EXPECT_EQ(verdant_record_json(nullptr, "audits", id, &out), kInvalid);
    EXPECT_EQ(verdant_records_json(nullptr, "audits", &out), kInvalid);
    EXPECT_EQ(verdant_query_json(nullptr, "audits", "type", "\"x\"", &out), kInvalid);
    EXPECT_EQ(verdant_audit_records_json(nullptr, id, &out), kInvalid);
    EXPECT_EQ(verdant_session_records_json(nullptr, id, &out), kInvalid);
    EXPECT_EQ(verdant_check_in(nullptr, id, "vct1.x.y", &out), kInvalid);
    EXPECT_EQ(verdant_check_out(nullptr, id), kInvalid);
    EXPECT_EQ(verdant_roster_json(nullptr, id, &out), kInvalid);
    EXPECT_EQ(verdant_write_json(nullptr, "audits", id, "{}", &out), kInvalid);
    EXPECT_EQ(verdant_create_json(nullptr, "audits", "{}", &out), kInvalid);
    EXPECT_EQ(verdant_remove(nullptr, "audits", id), kInvalid);
    EXPECT_EQ(verdant_sync_state(nullptr, "audits", id, &number), kInvalid);
    EXPECT_EQ(verdant_status_json(nullptr, &out), kInvalid);
    EXPECT_EQ(verdant_conflicts_json(nullptr, &out), kInvalid);
    EXPECT_EQ(verdant_quarantine_json(nullptr, &out), kInvalid);
    EXPECT_EQ(verdant_pending_changes_json(nullptr, &out), kInvalid);
    EXPECT_EQ(verdant_subscribe(nullptr, callback, nullptr, &handle), kInvalid);
    EXPECT_EQ(verdant_unsubscribe(nullptr, handle), kInvalid);
    EXPECT_EQ(verdant_sync(nullptr, nullptr), kInvalid);
    EXPECT_EQ(verdant_push(nullptr, nullptr), kInvalid);
    EXPECT_EQ(verdant_pull(nullptr, nullptr), kInvalid);
    EXPECT_EQ(verdant_start_background_sync(nullptr, 1000, nullptr, nullptr), kInvalid);
    EXPECT_EQ(verdant_request_sync(nullptr), kInvalid);
    EXPECT_EQ(verdant_stop_background_sync(nullptr), kInvalid);
    EXPECT_EQ(verdant_background_sync_running(nullptr, &number), kInvalid);
    EXPECT_EQ(verdant_set_log_callback(nullptr, nullptr, nullptr), kInvalid);
    EXPECT_EQ(out, nullptr);
    EXPECT_EQ(verdant_last_error_code(), kInvalid);

    ASSERT_EQ(verdant_new_record_id(&out), VERDANT_OK);
    EXPECT_EQ(verdant_last_error_code(), VERDANT_OK) << "a success clears the last error";
    EXPECT_STREQ(verdant_last_error_message(), "");
    verdant_string_free(out);
}

TEST(JsonWriter, ResultsAreValidUtf8WhateverTheStoreHolds) {
    capi::JsonWriter out;
    out.beginObject();
    out.key("text").string("a\"b\\c\n\x01 \xe6\xb0\xb4 \xff end");
    out.key("numbers").beginArray();
    out.integer(-9'223'372'036'854'775'807 - 1)
        .real(0.1)
        .real(std::numeric_limits<double>::infinity())
        .unsignedInteger(7);
    out.endArray();
    out.key("empty").beginObject().endObject();
    out.endObject();
    EXPECT_EQ(out.take(),
              "{\"text\":\"a\\\"b\\\\c\\n\\u0001 \xe6\xb0\xb4 \xef\xbf\xbd end\","
              "\"numbers\":[-9223372036854775808,0.1,null,7],\"empty\":{}}");

    EXPECT_TRUE(capi::isValidUtf8("plain \xe5\xba\x9f\xe6\xb0\xb4 \xf0\x9f\x8c\xbf"));
    EXPECT_FALSE(capi::isValidUtf8("\xc0\xaf")) << "overlong";
    EXPECT_FALSE(capi::isValidUtf8("\xed\xa0\x80")) << "surrogate";
    EXPECT_FALSE(capi::isValidUtf8("\xf4\x90\x80\x80")) << "above U+10FFFF";
    EXPECT_FALSE(capi::isValidUtf8("\xe6\xb0")) << "truncated";
}

}  // namespace
}  // namespace verdant
