// A process running the device SDK, for the crash test: it writes answers, printing each one
// once it is committed, then syncs. The test SIGKILLs it at random moments.
//
//   verdant_sdk_crash_worker DATA_DIR SERVER_URL CA_FILE AUDIT_ID FROM COUNT
//   verdant_sdk_crash_worker DATA_DIR SERVER_URL CA_FILE AUDIT_ID --final

#include "verdant/client/Client.hpp"
#include "verdant/domain/DomainSchema.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

using namespace verdant;

int main(int argc, char** argv) {
    if (argc != 7 && argc != 6) {
        std::cerr << "usage: DATA_DIR SERVER_URL CA_FILE AUDIT_ID (FROM COUNT | --final)\n";
        return 64;
    }
    try {
        client::ClientOptions options;
        options.dataDirectory = argv[1];
        options.server.baseUrl = argv[2];
        options.server.caFile = argv[3];
        options.server.timeoutSeconds = 10;
        const auto audit = shared::RecordId::parse(argv[4]).value();
        const auto path = client::Client::databasePath(options.dataDirectory, "acme", "li");
        auto sdk = std::filesystem::exists(path)
                       ? client::Client::open(options, "acme", "li")
                       : client::Client::signIn(options, "acme", "li", "li-password");
        std::cout << "open" << std::endl;
        if (std::string(argv[5]) != "--final") {
            const long from = std::stol(argv[5]);
            const long count = std::stol(argv[6]);
            for (long k = from; k < from + count; ++k) {
                const auto question = "K" + std::to_string(k);
                const auto written = sdk->write(
                    audit::collections::kAnswers, audit::answerRecordId(audit, question),
                    {client::FieldWrite::set("audit_id", shared::Value::id(audit)),
                     client::FieldWrite::set("question_id", shared::Value::string(question)),
                     client::FieldWrite::set(
                         "value", shared::Value::json("{\"n\":" + std::to_string(k) + "}"))});
                if (!written.ok) {
                    std::cerr << "write refused: " << written.message << "\n";
                    return 1;
                }
                std::cout << "wrote " << k << std::endl;
            }
        }
        std::cout << "syncing" << std::endl;
        const auto report = sdk->sync();
        std::cout << "synced " << (report.complete ? 1 : 0) << " pushed " << report.pushed
                  << " pending " << report.pendingChanges << std::endl;
        for (const auto& error : report.errors) {
            std::cout << "error " << shared::wireName(error.code) << " " << error.message
                      << std::endl;
        }
        return report.complete ? 0 : 1;
    } catch (const std::exception& error) {
        std::cerr << "failed: " << error.what() << "\n";
        return 1;
    }
}
