// The photo benchmark's device (scripts/bench-photos.py runs it against a real verdant-server
// over loopback TLS). Every request goes through a counting relay in this process, so the bytes
// on the wire are measured the same way in both commands. Each command prints one JSON document.
//
//   verdant_photo_bench raw --server URL --ca FILE --tenant SLUG --user USER --photos N --mib M
//       The server's raw HTTPS body throughput: N request bodies of M MiB sent over one TLS
//       connection to a route that reads each body whole and then refuses it (POST
//       /v1/sync/push with a body that is not a push): TLS, HTTP parsing, nothing else.
//   verdant_photo_bench photos --server URL --ca FILE --work DIR --tenant SLUG --user USER
//                              --photos N --mib M [--chunk-kib K] [--devices D]
//       D HQ tablets (default 1) each create an audit, take their share of N photos of M MiB
//       (random bytes behind a JPEG header: nothing to compress) and sync the records; then
//       the time of Client::uploadPhotos() on every tablet at once.
//
// The password comes from the first line of standard input. A photo that is not uploaded fails
// the command (exit 1): a figure is only printed for work that was done.

#include "BenchArguments.hpp"
#include "CuttingProxy.hpp"
#include "PhotoBytes.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/client/Client.hpp"
#include "verdant/client/HttpsTransport.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace verdant;
using bench::Arguments;
using client::Client;
using client::FieldWrite;
using shared::Value;
namespace c = audit::collections;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The server's URL with the relay's port in place of its own.
client::ServerEndpoint throughRelay(const Arguments& args, const test::CuttingProxy& relay) {
    client::ServerEndpoint endpoint;
    endpoint.baseUrl = "https://localhost:" + std::to_string(relay.port());
    endpoint.caFile = args.text("ca");
    endpoint.timeoutSeconds = 120;
    return endpoint;
}

std::uint16_t serverPort(const Arguments& args) {
    return Poco::URI(args.text("server")).getPort();
}

Poco::JSON::Object wire(const test::CuttingProxy& relay, double seconds, std::size_t bodyBytes) {
    Poco::JSON::Object result;
    result.set("seconds", seconds);
    result.set("body_bytes", static_cast<std::int64_t>(bodyBytes));
    result.set("bytes_up", relay.bytesUp());
    result.set("bytes_down", relay.bytesDown());
    result.set("mib_per_second", static_cast<double>(bodyBytes) / (1 << 20) / seconds);
    return result;
}

std::string accessToken(client::HttpsTransport& transport, const Arguments& args,
                        const std::string& password) {
    Poco::JSON::Object login;
    login.set("tenant", args.text("tenant"));
    login.set("username", args.text("user"));
    login.set("password", password);
    std::ostringstream body;
    login.stringify(body);
    const auto answer = transport.send("POST", "/v1/auth/login", "application/json", body.str());
    if (answer.status != 200) {
        throw std::runtime_error("sign-in failed: " + answer.body);
    }
    Poco::JSON::Parser parser;
    return parser.parse(answer.body)
        .extract<Poco::JSON::Object::Ptr>()
        ->getValue<std::string>("access_token");
}

Poco::JSON::Object raw(const Arguments& args, const std::string& password) {
    test::CuttingProxy relay(serverPort(args));
    client::HttpsTransport transport(throughRelay(args, relay));
    const auto token = accessToken(transport, args, password);
    const auto body = test::cameraPhoto(args.number("mib", 4) << 20, 1);
    const auto photos = args.number("photos", 100);
    const auto start = Clock::now();
    for (std::size_t i = 0; i < photos; ++i) {
        const auto answer = transport.send("POST", "/v1/sync/push", "application/octet-stream",
                                           body, {{"Authorization", "Bearer " + token}});
        if (answer.status != 415 && answer.status != 400) {
            throw std::runtime_error("the body was not read and refused: " + answer.body);
        }
    }
    return wire(relay, secondsSince(start), photos * body.size());
}

/// A tablet that took `count` photos of `size` bytes for an audit of its own, and synced their
/// records.
std::unique_ptr<Client> tabletWithPhotos(const Arguments& args, const std::string& password,
                                         const test::CuttingProxy& relay, std::size_t index,
                                         std::size_t count, std::size_t size) {
    client::ClientOptions options;
    options.dataDirectory = args.text("work") + "/tablet" + std::to_string(index);
    options.server = throughRelay(args, relay);
    options.deviceName = "photo benchmark " + std::to_string(index);
    options.uploads.chunkBytes = static_cast<std::uint32_t>(args.number("chunk-kib", 1024) << 10);
    auto tablet = Client::signIn(options, args.text("tenant"), args.text("user"), password);
    const auto audit =
        tablet->create(c::kAudits, {FieldWrite::set("state", Value::string("in_progress"))});
    if (!audit.ok) {
        throw std::runtime_error("the audit was refused: " + audit.message);
    }
    for (std::size_t i = 0; i < count; ++i) {
        client::PhotoDraft draft;
        draft.auditId = audit.recordId;
        draft.bytes = test::cameraPhoto(size, 1000 * (index + 1) + i);
        draft.caption = "Photo " + std::to_string(i);
        if (const auto taken = tablet->addPhoto(draft); !taken.ok) {
            throw std::runtime_error("a photo was refused: " + taken.message);
        }
    }
    if (!tablet->sync().complete) {
        throw std::runtime_error("the records did not sync");
    }
    return tablet;
}

Poco::JSON::Object photos(const Arguments& args, const std::string& password) {
    test::CuttingProxy relay(serverPort(args));
    const auto count = args.number("photos", 100);
    const auto devices = std::max<std::size_t>(1, args.number("devices", 1));
    const auto size = args.number("mib", 4) << 20;
    std::vector<std::unique_ptr<Client>> tablets;
    for (std::size_t d = 0; d < devices; ++d) {
        tablets.push_back(tabletWithPhotos(args, password, relay, d,
                                           count / devices + (d < count % devices ? 1 : 0), size));
    }
    const auto before = relay.bytesRelayed();
    std::vector<client::UploadReport> reports(devices);
    const auto start = Clock::now();
    std::vector<std::thread> uploads;
    for (std::size_t d = 0; d < devices; ++d) {
        uploads.emplace_back([&, d] { reports[d] = tablets[d]->uploadPhotos(); });
    }
    for (auto& upload : uploads) {
        upload.join();
    }
    const auto seconds = secondsSince(start);
    std::size_t uploaded = 0;
    std::uint64_t sent = 0;
    for (const auto& report : reports) {
        if (!report.complete()) {
            throw std::runtime_error("not every photo was uploaded");
        }
        uploaded += report.uploaded;
        sent += report.bytesSent;
    }
    if (uploaded != count) {
        throw std::runtime_error("not every photo was uploaded");
    }
    auto result = wire(relay, seconds, count * size);
    result.set("devices", static_cast<std::int64_t>(devices));
    result.set("bytes_before_upload", before);
    result.set("upload_body_bytes", static_cast<std::int64_t>(sent));
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc < 2) {
            throw std::invalid_argument("usage: verdant_photo_bench raw|photos --...");
        }
        const std::string command = argv[1];
        const Arguments args(argc, argv);
        std::string password;
        std::getline(std::cin, password);
        const auto result = command == "raw"      ? raw(args, password)
                            : command == "photos" ? photos(args, password)
                                                  : throw std::invalid_argument("unknown command");
        result.stringify(std::cout);
        std::cout << '\n';
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "verdant_photo_bench: " << e.what() << '\n';
        return 1;
    }
}
