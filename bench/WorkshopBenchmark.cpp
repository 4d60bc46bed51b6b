// The tablets of the workshop benchmark (scripts/bench-workshop.py): a training coordinator's
// office tablet and two door tablets, through the device SDK against a real verdant-server over
// TLS. Each command prints one JSON document.
//
//   verdant_workshop_bench prepare --server URL --ca FILE --work DIR --tenant SLUG --user USER
//                                  --people N
//       The coordinator's office tablet creates a course, a workshop starting in an hour
//       (capacity N) and N registrations, and syncs them. Prints {"session_id"}.
//   verdant_workshop_bench doors --server URL --ca FILE --work DIR --tenant SLUG --user USER
//                                --session ID --tokens FILE
//       Two door tablets of the coordinator sign in and sync (the key and the roster), then,
//       offline, check in the people of FILE (one check-in token a line), alternately at each
//       door; then each door syncs. Prints the time of the check-ins (offline token validation
//       and write) and of each door's sync, with its bytes, and the roster the office then holds.
//
// The password comes from the first line of standard input. A refused check-in or a sync that
// is not complete fails the command (exit 1): a figure is only printed for work that was done.

#include "BenchArguments.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/training/Collections.hpp"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace verdant;
using bench::Arguments;
using client::Client;
using client::FieldWrite;
using shared::RecordId;
using shared::Value;
namespace t = training::collections;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kHourMs = 60LL * 60 * 1000;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::unique_ptr<Client> tablet(const Arguments& args, const std::string& device,
                               const std::string& password) {
    client::ClientOptions options;
    options.dataDirectory = args.text("work") + "/" + device;
    options.server.baseUrl = args.text("server");
    options.server.caFile = args.text("ca");
    options.deviceName = "workshop benchmark: " + device;
    return Client::signIn(options, args.text("tenant"), args.text("user"), password);
}

client::SyncReport completeSync(Client& client, const std::string& who) {
    const auto report = client.sync();
    if (!report.complete || report.quarantined != 0 || report.pendingChanges != 0) {
        throw std::runtime_error(who + "'s sync did not complete");
    }
    return report;
}

RecordId created(const client::WriteResult& result, const std::string& what) {
    if (!result.ok) {
        throw std::runtime_error(what + " refused: " + result.message);
    }
    return result.recordId;
}

Poco::JSON::Object prepare(const Arguments& args, const std::string& password) {
    auto office = tablet(args, "office", password);
    completeSync(*office, "office");
    const auto course = created(
        office->create(t::kCourses, {FieldWrite::set("title_en", Value::string("Wastewater")),
                                     FieldWrite::set("title_zh", Value::string("废水"))}),
        "the course");
    const auto people = args.number("people", 500);
    const auto start = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() +
                       kHourMs;
    const auto session =
        created(office->create(
                    t::kTrainingSessions,
                    {FieldWrite::set("course_id", Value::id(course)),
                     FieldWrite::set("coordinator_id", Value::string(office->userId())),
                     FieldWrite::set("starts_at", Value::timestamp(start)),
                     FieldWrite::set("ends_at", Value::timestamp(start + 3 * kHourMs)),
                     FieldWrite::set("capacity", Value::integer(static_cast<std::int64_t>(people))),
                     FieldWrite::set("status", Value::string("open"))}),
                "the session");
    for (std::size_t i = 0; i < people; ++i) {
        created(office->create(t::kAttendance,
                               {FieldWrite::set("session_id", Value::id(session)),
                                FieldWrite::set("person_name_en",
                                                Value::string("Person " + std::to_string(i))),
                                FieldWrite::set("state", Value::string("registered"))}),
                "a registration");
    }
    completeSync(*office, "office");
    Poco::JSON::Object result;
    result.set("session_id", session.toString());
    return result;
}

Poco::JSON::Object doors(const Arguments& args, const std::string& password) {
    const auto session = *RecordId::parse(args.text("session"));
    std::vector<std::string> tokens;
    std::ifstream file(args.text("tokens"));
    for (std::string line; std::getline(file, line);) {
        if (!line.empty()) {
            tokens.push_back(line);
        }
    }
    std::vector<std::unique_ptr<Client>> doors;
    Poco::JSON::Object result;
    auto started = Clock::now();
    for (const char* name : {"north", "south"}) {
        doors.push_back(tablet(args, name, password));
        completeSync(*doors.back(), name);
    }
    result.set("doors_ready_seconds", secondsSince(started));
    started = Clock::now();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const auto checked = doors[i % 2]->checkIn(session, tokens[i]);
        if (!checked.ok) {
            throw std::runtime_error("check-in refused: " + checked.message);
        }
    }
    const auto checkInSeconds = secondsSince(started);
    result.set("people", tokens.size());
    result.set("check_in_seconds", checkInSeconds);
    result.set("check_ins_per_second", static_cast<double>(tokens.size()) / checkInSeconds);
    started = Clock::now();
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    for (std::size_t d = 0; d < doors.size(); ++d) {
        const auto report = completeSync(*doors[d], "door");
        sent += report.bytesSent;
        received += report.bytesReceived;
    }
    result.set("sync_seconds", secondsSince(started));
    result.set("sync_request_bytes", sent);
    result.set("sync_response_bytes", received);
    auto office = tablet(args, "office-after", password);
    completeSync(*office, "office");
    const auto roster = office->roster(session);
    const auto checkedIn = roster.countsByState.find("checked_in");
    result.set("office_checked_in",
               checkedIn == roster.countsByState.end() ? 0 : checkedIn->second);
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc < 2) {
            throw std::invalid_argument("usage: verdant_workshop_bench prepare|doors --...");
        }
        const std::string command = argv[1];
        const Arguments args(argc, argv);
        std::string password;
        std::getline(std::cin, password);
        const auto result = command == "prepare" ? prepare(args, password)
                            : command == "doors"
                                ? doors(args, password)
                                : throw std::invalid_argument("unknown command " + command);
        result.stringify(std::cout);
        std::cout << '\n';
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "verdant_workshop_bench: " << e.what() << '\n';
        return 1;
    }
}
