// The tablets of the sync benchmark (scripts/bench-sync.py): field experts' devices that push
// checklist answers to a real verdant-server over TLS through the device SDK
// (verdant::client::Client), the path an app takes. Each command prints one JSON document.
//
//   verdant_sync_bench push --server URL --ca FILE --work DIR --tenant SLUG --hq USER
//                           --experts USER[,USER...] --answers N --template FILE
//       HQ (USER of --hq) creates a supplier, a facility, the template version of FILE and one
//       audit per --answers-per-audit answers (default 100), dealt out to the experts in turn,
//       and pushes them. With several experts, every expert is on every audit's team, so each
//       pushing user has as many audits in scope as a single expert assigned all of them (the
//       server's scope checks cost the same; only the concurrency differs). Each expert then
//       writes the answers of the audits assigned to them into their outbox (7 fields an
//       answer), one Client::write per answer. Only then is the clock started:
//       every expert calls Client::push() at the same moment, each on its own thread and
//       connection, and the time runs until the last push is acknowledged.
//   verdant_sync_bench edit --server URL --ca FILE --work DIR --tenant SLUG --user USER
//                           --answers N --template FILE [--round R]
//       USER (an expert who pushed before in DIR) changes the value and comment of N of their
//       answers and pushes them (the changes a later pull brings to HQ's device).
//
// The password of every user comes from the first line of standard input. A push that is not
// complete, or a change the server refuses, fails the command (exit 1): a figure is only printed
// for work the server accepted.

#include "BenchArguments.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/domain/DomainSchema.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Value.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <fstream>
#include <iostream>
#include <latch>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace verdant;
using client::Client;
using client::FieldWrite;
using shared::RecordId;
using shared::Value;
namespace c = audit::collections;
using Clock = std::chrono::steady_clock;
using bench::Arguments;

/// A question of the checklist template, as far as an answer to it must fit.
struct Question {
    std::string id;
    std::string type;
    std::vector<std::string> choices;
};

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<Question> questionsOf(const std::string& templateJson) {
    std::vector<Question> questions;
    const auto document =
        Poco::JSON::Parser().parse(templateJson).extract<Poco::JSON::Object::Ptr>();
    const auto sections = document->getArray("sections");
    for (std::size_t s = 0; sections && s < sections->size(); ++s) {
        const auto items = sections->getObject(static_cast<unsigned>(s))->getArray("questions");
        for (std::size_t q = 0; items && q < items->size(); ++q) {
            const auto item = items->getObject(static_cast<unsigned>(q));
            Question question{
                item->getValue<std::string>("id"), item->optValue<std::string>("type", ""), {}};
            if (const auto choices = item->getArray("choices")) {
                for (std::size_t i = 0; i < choices->size(); ++i) {
                    question.choices.push_back(choices->getElement<std::string>(i));
                }
            }
            questions.push_back(std::move(question));
        }
    }
    return questions;
}

/// An answer that fits `question` (AnswerValidator accepts it), varied by `n`.
Value answerValue(const Question& question, std::size_t n) {
    static const char* const kYesNo[] = {"yes", "no", "na"};
    std::string answer;
    if (question.type == "yes_no_na") {
        answer = std::string("\"") + kYesNo[n % 3] + "\"";
    } else if (question.type == "number") {
        answer = std::to_string(10 + n % 90) + ".5";
    } else if (question.type == "score_0_5") {
        answer = std::to_string(n % 6);
    } else if (question.type == "choice" && !question.choices.empty()) {
        answer = "\"" + question.choices[n % question.choices.size()] + "\"";
    } else {
        answer = "\"Records kept in the EHS office, checked on site (" + std::to_string(n) + ")\"";
    }
    return Value::json(R"({"answer":)" + answer + "}");
}

/// The 7 fields of an answer record, as an auditor's tablet writes them.
std::vector<FieldWrite> answerFields(const RecordId& audit, const Question& question,
                                     const std::string& author, std::size_t n) {
    static const char* const kResults[] = {"conformance", "observation", "minor",
                                           "risk_of_nonconformance"};
    return {FieldWrite::set("audit_id", Value::id(audit)),
            FieldWrite::set("question_id", Value::string(question.id)),
            FieldWrite::set("value", answerValue(question, n)),
            FieldWrite::set("comment", Value::string("Seen on site with the EHS manager.")),
            FieldWrite::set("result", Value::string(kResults[n % 4])),
            FieldWrite::set("author_id", Value::string(author)),
            FieldWrite::set("gps", Value::string("30.0925,120.6571"))};
}

client::ClientOptions clientOptions(const Arguments& args, const std::string& user) {
    client::ClientOptions options;
    options.dataDirectory = args.text("work") + "/" + user;
    options.server.baseUrl = args.text("server");
    options.server.caFile = args.text("ca");
    options.server.timeoutSeconds = 300;  // a push waits its turn behind the others
    options.deviceName = "sync benchmark: " + user;
    return options;
}

void check(const client::WriteResult& result, const std::string& what) {
    if (!result.ok) {
        throw std::runtime_error(what + " refused: " + result.message);
    }
}

/// Throws unless the server acknowledged every change and refused none.
void requireAccepted(const client::SyncReport& report, const std::string& who) {
    if (!report.complete || report.quarantined != 0 || report.pendingChanges != 0) {
        std::string why = report.errors.empty() ? "" : ": " + report.errors.front().message;
        throw std::runtime_error(who + "'s push: " + std::to_string(report.pushed) + " pushed, " +
                                 std::to_string(report.quarantined) + " refused, " +
                                 std::to_string(report.pendingChanges) + " pending" + why);
    }
}

std::vector<std::string> split(const std::string& list) {
    std::vector<std::string> items;
    std::stringstream in(list);
    for (std::string item; std::getline(in, item, ',');) {
        items.push_back(item);
    }
    return items;
}

/// An audit and how many of its questions its expert answers.
struct AssignedAudit {
    RecordId id;
    std::size_t answers = 0;
};

/// HQ's set-up: template version, supplier, facility and audits in progress, assigned in turn;
/// with several experts, all of them on every audit's team.
std::vector<std::vector<AssignedAudit>> scheduleAudits(Client& hq, const std::string& templateJson,
                                                       const std::vector<std::string>& experts,
                                                       std::size_t answers, std::size_t perAudit) {
    const auto supplier =
        hq.create(c::kSuppliers, {FieldWrite::set("uscc", Value::string("91330100MA2BENCH1")),
                                  FieldWrite::set("name_en", Value::string("Bench Dyeing Co."))});
    check(supplier, "supplier");
    const auto facility = hq.create(
        c::kFacilities, {FieldWrite::set("supplier_id", Value::id(supplier.recordId)),
                         FieldWrite::set("name", Value::string("Shaoxing dyeing plant"))});
    check(facility, "facility");
    const auto version = hq.create(
        c::kTemplateVersions, {FieldWrite::set("template_key", Value::string("gsc-environment")),
                               FieldWrite::set("version", Value::integer(1)),
                               FieldWrite::set("content", Value::json(templateJson))});
    check(version, "template version");
    const auto scheduledFor = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
    std::vector<std::vector<AssignedAudit>> audits(experts.size());
    for (std::size_t a = 0; a * perAudit < answers; ++a) {
        std::vector<FieldWrite> fields = {
            FieldWrite::set("template_version_id", Value::id(version.recordId)),
            FieldWrite::set("supplier_id", Value::id(supplier.recordId)),
            FieldWrite::set("facility_id", Value::id(facility.recordId)),
            FieldWrite::set("type", Value::string("periodic")),
            FieldWrite::set("scheduled_for", Value::timestamp(scheduledFor)),
            FieldWrite::set("state", Value::string("in_progress")),
            FieldWrite::set("assignee_id", Value::string(experts[a % experts.size()]))};
        for (std::size_t e = 0; experts.size() > 1 && e < experts.size(); ++e) {
            fields.push_back(FieldWrite::add("team", experts[e]));
        }
        const auto audit = hq.create(c::kAudits, fields);
        check(audit, "audit");
        audits[a % experts.size()].push_back(
            {audit.recordId, std::min(perAudit, answers - a * perAudit)});
    }
    requireAccepted(hq.push(), "HQ");
    return audits;
}

/// Writes the answers of `audits` into the expert's outbox; returns how many.
std::size_t answerAudits(Client& expert, const std::vector<AssignedAudit>& audits,
                         const std::vector<Question>& questions) {
    std::size_t written = 0;
    for (const auto& audit : audits) {
        for (std::size_t q = 0; q < audit.answers; ++q) {
            const auto& question = questions[q];
            check(expert.write(c::kAnswers, audit::answerRecordId(audit.id, question.id),
                               answerFields(audit.id, question, expert.userId(), written)),
                  "answer");
            ++written;
        }
    }
    return written;
}

/// Runs `work(i)` for every i on its own thread, all released at once; returns the wall time
/// from the release to the end of the last one. The first exception is rethrown.
template <typename Work>
double timeTogether(std::size_t count, Work&& work) {
    std::latch ready(static_cast<std::ptrdiff_t>(count) + 1);
    std::latch go(1);
    std::vector<std::exception_ptr> failures(count);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < count; ++i) {
        threads.emplace_back([&, i] {
            ready.count_down();
            go.wait();
            try {
                work(i);
            } catch (...) {
                failures[i] = std::current_exception();
            }
        });
    }
    ready.arrive_and_wait();
    const auto start = Clock::now();
    go.count_down();
    for (auto& thread : threads) {
        thread.join();
    }
    const auto seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (const auto& failure : failures) {
        if (failure) {
            std::rethrow_exception(failure);
        }
    }
    return seconds;
}

Poco::JSON::Object::Ptr pushCommand(const Arguments& args, const std::string& password) {
    const auto templateJson = readFile(args.text("template"));
    const auto questions = questionsOf(templateJson);
    const auto perAudit = std::min(args.number("answers-per-audit", 100), questions.size());
    const auto answers = args.number("answers", 100000);
    const auto names = split(args.text("experts"));
    if (perAudit == 0 || names.empty()) {
        throw std::invalid_argument("need questions in the template and at least one expert");
    }
    const auto tenant = args.text("tenant");

    const auto hq =
        Client::signIn(clientOptions(args, args.text("hq")), tenant, args.text("hq"), password);
    std::vector<std::unique_ptr<Client>> experts;
    std::vector<std::string> ids;
    for (const auto& name : names) {
        experts.push_back(Client::signIn(clientOptions(args, name), tenant, name, password));
        ids.push_back(experts.back()->userId());
    }
    const auto audits = scheduleAudits(*hq, templateJson, ids, answers, perAudit);

    // The outboxes are filled before the clock starts; each expert answers their own audits.
    std::vector<std::size_t> written(experts.size());
    const auto writeSeconds = timeTogether(experts.size(), [&](std::size_t i) {
        written[i] = answerAudits(*experts[i], audits[i], questions);
    });

    std::vector<client::SyncReport> reports(experts.size());
    std::vector<double> deviceSeconds(experts.size());
    const auto seconds = timeTogether(experts.size(), [&](std::size_t i) {
        const auto start = Clock::now();
        reports[i] = experts[i]->push();
        deviceSeconds[i] = std::chrono::duration<double>(Clock::now() - start).count();
    });

    std::size_t records = 0;
    std::size_t pushed = 0;
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    Poco::JSON::Array::Ptr devices = new Poco::JSON::Array;
    for (std::size_t i = 0; i < experts.size(); ++i) {
        requireAccepted(reports[i], names[i]);
        records += written[i];
        pushed += reports[i].pushed;
        sent += reports[i].bytesSent;
        received += reports[i].bytesReceived;
        Poco::JSON::Object::Ptr device = new Poco::JSON::Object;
        device->set("user", names[i]);
        device->set("records", written[i]);
        device->set("seconds", deviceSeconds[i]);
        devices->add(device);
    }
    std::size_t auditCount = 0;
    for (const auto& assigned : audits) {
        auditCount += assigned.size();
    }
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("devices", experts.size());
    result->set("audits", auditCount);
    result->set("records", records);
    result->set("field_changes", pushed);
    result->set("seconds", seconds);
    result->set("records_per_second", static_cast<double>(records) / seconds);
    result->set("request_body_bytes", sent);
    result->set("response_body_bytes", received);
    result->set("outbox_fill_seconds", writeSeconds);
    result->set("per_device", devices);
    return result;
}

Poco::JSON::Object::Ptr editCommand(const Arguments& args) {
    const auto user = args.text("user");
    const auto count = args.number("answers", 1000);
    const auto round = args.number("round", 1);
    const auto expert = Client::open(clientOptions(args, user), args.text("tenant"), user);
    auto answers = expert->records(c::kAnswers);
    if (answers.size() < count) {
        throw std::runtime_error(user + " holds " + std::to_string(answers.size()) +
                                 " answers, fewer than " + std::to_string(count));
    }
    answers.resize(count);
    std::map<std::string, Question> questions;
    for (auto& question : questionsOf(readFile(args.text("template")))) {
        questions.emplace(question.id, std::move(question));
    }
    const auto start = Clock::now();
    const std::string comment = "Revisited, round " + std::to_string(round) + ".";
    for (std::size_t i = 0; i < count; ++i) {
        const auto& answer = answers[i];
        const auto field = answer.fields.find("question_id");
        const auto question = field == answer.fields.end()
                                  ? questions.end()
                                  : questions.find(field->second.value.as<std::string>());
        if (question == questions.end()) {
            throw std::runtime_error("an answer to a question the template does not have");
        }
        check(expert->write(c::kAnswers, answer.id,
                            {FieldWrite::set("value", answerValue(question->second, round + i)),
                             FieldWrite::set("comment", Value::string(comment))}),
              "edit");
    }
    const auto report = expert->push();
    requireAccepted(report, user);
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("records", count);
    result->set("field_changes", report.pushed);
    result->set("seconds", std::chrono::duration<double>(Clock::now() - start).count());
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    try {
        const Arguments args(argc, argv);
        std::string password;
        std::getline(std::cin, password);
        Poco::JSON::Object::Ptr result;
        if (command == "push") {
            result = pushCommand(args, password);
        } else if (command == "edit") {
            result = editCommand(args);
        } else {
            std::cerr << "usage: verdant_sync_bench push|edit --server URL --ca FILE --work DIR "
                         "--tenant SLUG ... (see bench/SyncBenchmark.cpp)\n";
            return 2;
        }
        result->stringify(std::cout);
        std::cout << '\n';
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "verdant_sync_bench " << command << ": " << e.what() << '\n';
        return 1;
    }
}
