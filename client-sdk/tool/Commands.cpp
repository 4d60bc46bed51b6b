#include "Commands.hpp"

#include "CurrentAccount.hpp"
#include "Formatting.hpp"
#include "JsonViews.hpp"
#include "Session.hpp"
#include "SyncLogPrinter.hpp"
#include "SyncProgressPrinter.hpp"

#include "verdant/client/HttpsTransport.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Version.hpp"

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

namespace verdant::cli {

namespace {

// --- Options ------------------------------------------------------------------------------------

const OptionSpec kHelp{"help", "", "print this help and exit"};
const OptionSpec kJson{"json", "", "print one JSON document on stdout"};
const OptionSpec kDataDir{"data-dir", "DIR",
                          "local data (default: $VERDANT_DATA_DIR, else ~/.verdant)"};
const OptionSpec kServer{"server", "URL",
                         "server (default: $VERDANT_SERVER, else the one given at login, else "
                         "https://localhost:8443)"};
const OptionSpec kLoginServer{"server", "URL",
                              "server to sign in to (default: $VERDANT_SERVER, else "
                              "https://localhost:8443); remembered for later commands"};
const OptionSpec kCa{"ca", "FILE",
                     "CA certificate (PEM) to trust (default: $VERDANT_CA, else the one given at "
                     "login, else the system's CAs); --cacert is accepted too"};
const OptionSpec kLoginTenant{"tenant", "TENANT", "tenant to sign in to (required)"};
const OptionSpec kLoginUser{"user", "USER", "user name within the tenant (required)"};
const OptionSpec kTenant{"tenant", "TENANT",
                         "use this tenant's account instead of the current one (see --user)"};
const OptionSpec kUser{"user", "USER",
                       "use this user's account (signed in on this device before) instead of "
                       "the current one"};
const OptionSpec kPasswordStdin{"password-stdin", "",
                                "read the password from the first line of stdin"};
const OptionSpec kPassword{"password", "PASSWORD",
                           "the password itself (others can see it in the process list and the "
                           "shell history: prefer --password-stdin)"};
const OptionSpec kDeviceName{"device-name", "NAME",
                             "this device's name in the administrators' device list (default: "
                             "\"verdant CLI on HOSTNAME\")"};
const OptionSpec kProgress{"progress", "",
                           "show progress on stderr even when stderr is not a terminal"};
const OptionSpec kVerbose{"verbose", "",
                          "print what the sync does (requests, retries, refusals, timings) on "
                          "stderr, one line each; -v for short"};
const OptionSpec kAttempts{"attempts", "N",
                           "tries of each request before the sync gives up on a transient "
                           "failure (default 4, with exponential backoff)"};
const OptionSpec kComment{"comment", "TEXT", "the auditor's comment on the answer"};
const OptionSpec kAssignee{"assignee", "USER_ID",
                           "user id of the field expert (their `verdant status` shows it; "
                           "required)"};
const OptionSpec kAuditType{"type", "TYPE",
                            "initial, periodic, follow_up, closure, desk_review, "
                            "self_assessment or coaching_visit"};
const OptionSpec kSupplier{"supplier", "ID", "the supplier's record id"};
const OptionSpec kFacility{"facility", "ID", "the facility's record id"};
const OptionSpec kTemplate{"template", "ID", "the template version's record id"};
const OptionSpec kCaption{"caption", "TEXT", "photo add: the photo's caption"};
const OptionSpec kAnswer{"answer", "ID", "photo add: the checklist answer it illustrates"};
const OptionSpec kFinding{"finding", "ID", "photo add: the finding it proves"};
const OptionSpec kAudit{"audit", "ID", "photo list: only this audit's photos"};
const OptionSpec kChunkKiB{"chunk-kib", "N",
                           "photo upload: KiB per upload request (default 1024): what a broken "
                           "connection can cost at worst"};
const OptionSpec kMaxRate{"max-kib-per-second", "N",
                          "photo upload: average upload rate cap in KiB/s (default 0: none)"};

/// What every command that works on the signed-in user's store accepts.
std::vector<const OptionSpec*> sessionOptions(std::vector<const OptionSpec*> own) {
    std::vector<const OptionSpec*> options = std::move(own);
    for (const OptionSpec* common : {&kDataDir, &kTenant, &kUser, &kJson, &kHelp}) {
        options.push_back(common);
    }
    return options;
}

/// What push, pull and sync accept.
std::vector<const OptionSpec*> syncOptions() {
    return sessionOptions({&kServer, &kCa, &kProgress, &kVerbose, &kAttempts});
}

const std::vector<CommandSpec>& table() {
    static const std::vector<CommandSpec> kCommands = {
        {"login",
         "",
         0,
         0,
         "sign in online and make this account the current one",
         "Signs USER of TENANT in on the server and opens (creating if new) their local store\n"
         "in the data directory. Records the account, the server and the CA in\n"
         "DIR/current-account.json, so every later command works as this user offline.\n"
         "The password comes from --password-stdin, else $VERDANT_PASSWORD, else a prompt\n"
         "when stdin is a terminal. Signing in again keeps the local data and the outbox.\n",
         {&kLoginTenant, &kLoginUser, &kPasswordStdin, &kPassword, &kLoginServer, &kCa,
          &kDeviceName, &kDataDir, &kJson, &kHelp}},
        {"status", "", 0, 0, "show the account, pending changes, conflicts, quarantine, last sync",
         "Works offline. Lists the changes the server refused (the quarantine), which stay\n"
         "on the device for HQ to accept or discard.\n",
         sessionOptions({})},
        {"pull", "", 0, 0, "download what changed on the server for this user",
         "Pulls every scope of this user until up to date. Scopes taken away from the user\n"
         "(an audit reassigned) are removed, unless they hold unsent edits. Exit 1 when the\n"
         "pull is incomplete, with the error codes on stderr.\n",
         syncOptions()},
        {"push", "", 0, 0, "upload the changes waiting in the outbox",
         "Sends the outbox. Changes the server refuses go to the quarantine (see status).\n"
         "Exit 1 when the push is incomplete, with the error codes on stderr.\n",
         syncOptions()},
        {"sync", "", 0, 0, "push, then pull: what the app does when a network appears",
         "Exit 1 when the sync is incomplete (errors on stderr), 3 when the server no longer\n"
         "accepts this sign-in (run login again; nothing unsent is lost).\n",
         syncOptions()},
        {"audits", "[AUDIT_ID]", 0, 1, "list the audits on this device, or one audit's answers",
         "Works offline. Without AUDIT_ID: every audit on this device with its workflow state,\n"
         "supplier and facility, number of answers and sync state (local, queued, sent,\n"
         "synced, conflict, quarantined). With AUDIT_ID: that audit and its answers.\n",
         sessionOptions({})},
        {"answer", "AUDIT_ID QUESTION_ID VALUE", 3, 3, "answer a checklist question, offline",
         "Writes the answer record of QUESTION_ID in AUDIT_ID (the same record id on every\n"
         "device) in one local write, queued for the next push, and prints its sync state.\n"
         "VALUE is stored as a JSON document: a JSON object or array as written (e.g.\n"
         "'{\"answer\":\"yes\",\"score\":4}'), anything else wrapped as {\"answer\": VALUE}:\n"
         "4 as {\"answer\":4}, true as {\"answer\":true}, yes as {\"answer\":\"yes\"}.\n"
         "A refused write prints its error code and exits 1; the audit must be on this\n"
         "device (pulled).\n",
         sessionOptions({&kComment})},
        {"submit", "AUDIT_ID", 1, 1, "submit an audit for HQ's review, offline",
         "Marks the audit submitted in one local write, queued for the next push. On that\n"
         "sync the server takes the audit's score snapshot (shown by `verdant audits ID`).\n"
         "Edits after submission still sync, and HQ sees them as amendments; once HQ approves,\n"
         "the checklist is locked (audit_locked). A returned audit is submitted again the\n"
         "same way.\n",
         sessionOptions({})},
        {"conflicts", "", 0, 0, "list open conflicts and their competing values",
         "Works offline. A conflict is a reviewed field (an answer's value, a finding's\n"
         "severity) written differently on two devices that had not seen each other's write.\n"
         "Every value is kept; the last one listed is shown until a person chooses, by writing\n"
         "the field again (for an answer: `verdant answer` with the chosen value).\n",
         sessionOptions({})},
        {"schedule-audit", "", 0, 0, "create an audit assigned to a field expert (HQ, for demos)",
         "Creates an audit in state scheduled, assigned to USER_ID, in the local store; push it\n"
         "to send it. The server accepts it from HQ reviewers and tenant administrators.\n",
         sessionOptions({&kAssignee, &kAuditType, &kSupplier, &kFacility, &kTemplate})},
        {"sessions", "", 0, 0, "list the training sessions on this device (coordinators)",
         "Works offline: each session this coordinator holds, with its start, venue, status\n"
         "and number of registrations.\n",
         sessionOptions({})},
        {"roster", "SESSION_ID", 1, 1, "list a session's registrations and counts per state",
         "Works offline: each person with their state, first check-in and the number of\n"
         "devices (doors) that recorded them, then the counts per state.\n",
         sessionOptions({})},
        {"checkin", "SESSION_ID TOKEN", 2, 2, "check a person in by their badge's token, offline",
         "Validates TOKEN (the text of the badge's QR code) with the organisation's key this\n"
         "device received by sync, and records the check-in for the next push. A refused\n"
         "token exits 1 with its code: checkin_token_malformed, checkin_token_forged,\n"
         "checkin_token_expired, checkin_token_not_yet_valid, checkin_token_other_session.\n",
         sessionOptions({})},
        {"checkout", "REGISTRATION_ID", 1, 1, "record that a person left, offline",
         "Sets the registration's last check-out to now (the latest door counts).\n",
         sessionOptions({})},
        {"certificate", "REGISTRATION_ID", 1, 1, "print a person's training certificate",
         "Prints the certificate issued for the registration (the signed text, as this device\n"
         "received it by sync), to save as a file, mail or print; the server issues them with\n"
         "POST /v1/training/sessions/{id}/certificates.\n",
         sessionOptions({})},
        {"verify-certificate", "FILE", 1, 1, "check a training certificate, offline",
         "Reads the certificate in FILE (its text, as issued) and checks it with the\n"
         "organisation's public key this device received by sync, then whether it was revoked\n"
         "as of this device's last sync. A certificate that does not verify exits 1 with its\n"
         "code: certificate_malformed, certificate_forged, certificate_revoked.\n",
         sessionOptions({})},
        {"photo", "add|list|upload|retry|download [ARGS]", 1, 3,
         "take photos as evidence and upload their bytes",
         "photo add AUDIT_ID FILE [--caption T] [--answer ID] [--finding ID]\n"
         "  Offline: keeps a copy of FILE on this device (named by its SHA-256) and writes its\n"
         "  photos record, queued for the next sync; the bytes upload after the record.\n"
         "photo list [--audit ID]\n"
         "  Offline: each photo this device took with its upload state (pending, uploading N%,\n"
         "  uploaded, failed with its code) and what a pending photo waits for.\n"
         "photo upload [--chunk-kib N] [--max-kib-per-second N]\n"
         "  Uploads the bytes of every photo whose record reached the server, resuming where\n"
         "  each upload stood; a photo the server already holds is proven, not sent. Exit 1\n"
         "  when a photo failed or the uploads could not finish. `verdant sync` does this too,\n"
         "  after the records.\n"
         "photo retry PHOTO_ID\n"
         "  Offline: puts a failed photo back in the queue, pending, to upload from the start.\n"
         "  Exit 1 when the photo is not failed (a photo over the quota waits by itself).\n"
         "photo download PHOTO_ID OUT_FILE\n"
         "  Writes the photo's bytes to OUT_FILE (from this device, or downloaded in ranges),\n"
         "  verified against its SHA-256.\n",
         sessionOptions(
             {&kCaption, &kAnswer, &kFinding, &kAudit, &kChunkKiB, &kMaxRate, &kServer, &kCa})},
        {"health",
         "",
         0,
         0,
         "ask the server whether it is up (GET /v1/health)",
         "Exit 0 when the server and its storage are up, 1 otherwise.\n",
         {&kServer, &kCa, &kDataDir, &kJson, &kHelp}},
        {"version", "", 0, 0, "print the version of this tool", "", {&kJson, &kHelp}},
    };
    return kCommands;
}

std::int64_t nowMs() {
    return shared::SystemClock::instance().nowMs();
}

}  // namespace

void printError(const Invocation& invocation, shared::ErrorCode code, const std::string& message,
                const std::string& field) {
    std::cerr << "verdant " << invocation.command->name << ": " << message << " ["
              << shared::wireName(code) << "]" << (field.empty() ? "" : " (field " + field + ")")
              << '\n';
    if (invocation.json()) {
        auto document = jsonObject();
        document->set("error", errorJson(code, message, field));
        printJson(std::cout, document);
    }
}

namespace {

std::string count(std::size_t n, const char* singular, const char* pluralForm) {
    return std::to_string(n) + ' ' + (n == 1 ? singular : pluralForm);
}

// --- login --------------------------------------------------------------------------------------

std::string readLine(std::istream& in) {
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line;
}

/// Asks on the terminal with echo off.
std::string promptPassword(const std::string& who) {
    std::cerr << "Password for " << who << ": " << std::flush;
    termios saved{};
    const bool restore = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (restore) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string password = readLine(std::cin);
    if (restore) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    }
    std::cerr << '\n';
    return password;
}

std::string password(const Invocation& invocation, const std::string& who) {
    if (invocation.has("password-stdin") && invocation.has("password")) {
        throw UsageError("give --password-stdin or --password, not both", invocation.command);
    }
    std::string password;
    if (invocation.has("password-stdin")) {
        password = readLine(std::cin);
    } else if (auto given = invocation.value("password")) {
        std::cerr << "verdant login: warning: a password on the command line can be seen by "
                     "other users of this machine; use --password-stdin or $VERDANT_PASSWORD\n";
        password = *given;
    } else if (const char* fromEnvironment = std::getenv("VERDANT_PASSWORD");
               fromEnvironment != nullptr && *fromEnvironment != '\0') {
        password = fromEnvironment;
    } else if (::isatty(STDIN_FILENO) != 0) {
        password = promptPassword(who);
    } else {
        throw UsageError(
            "no password: give it on stdin with --password-stdin, or in "
            "$VERDANT_PASSWORD",
            invocation.command);
    }
    if (password.empty()) {
        throw UsageError("the password is empty", invocation.command);
    }
    return password;
}

/// Creates the data directory, readable by its owner only (it will hold the user's tokens).
void makeDataDirectory(const std::string& path) {
    Poco::File directory(path);
    if (!directory.exists()) {
        directory.createDirectories();
        ::chmod(path.c_str(), 0700);
    }
}

/// How many records the changes are about.
std::size_t recordsIn(const std::vector<shared::Change>& changes) {
    std::set<std::pair<std::string, shared::RecordId>> records;
    for (const auto& change : changes) {
        records.emplace(change.collection, change.recordId);
    }
    return records.size();
}

void printStatusText(const client::ClientStatus& status, std::size_t pendingRecords,
                     const Settings& settings) {
    if (status.signedIn) {
        std::cout << "Signed in as " << status.username << " (" << status.role << ") of tenant "
                  << status.tenant << '\n';
    } else {
        std::cout << "Signed out: " << status.username << " of tenant " << status.tenant
                  << " (sign in again with `verdant login`; nothing on this device is lost)\n";
    }
    TextTable table({"", ""});
    table.add({"  user id", status.userId});
    table.add({"  device id", status.deviceId});
    table.add({"  data", settings.dataDirectory});
    table.add({"  server", settings.server.baseUrl});
    table.add({"Pending changes",
               std::to_string(status.pendingChanges) +
                   (status.pendingChanges == 0
                        ? ""
                        : " (in " + count(pendingRecords, "record", "records") + ")")});
    table.add({"Open conflicts", std::to_string(status.openConflicts)});
    table.add({"Quarantined", std::to_string(status.quarantined)});
    table.add({"Last sync", status.lastSyncMs ? formatTime(*status.lastSyncMs) + " (" +
                                                    formatAge(*status.lastSyncMs, nowMs()) + ")"
                                              : "never"});
    if (status.lastError) {
        table.add({"Last sync error", std::string(shared::wireName(status.lastError->code)) + ": " +
                                          status.lastError->message});
    }
    if (status.serverOffsetMs != 0) {
        table.add({"Server clock", (status.serverOffsetMs > 0 ? "+" : "") +
                                       std::to_string(status.serverOffsetMs) +
                                       " ms from this device's"});
    }
    std::ostringstream text;
    table.print(text);
    // The heading row of a two-column key/value table is empty: skip it.
    const std::string printed = text.str();
    std::cout << printed.substr(printed.find('\n') + 1);
}

// --- push, pull, sync ---------------------------------------------------------------------------

enum class SyncOperation { Push, Pull, Sync };

std::string_view nameOf(SyncOperation operation) {
    switch (operation) {
        case SyncOperation::Push:
            return "push";
        case SyncOperation::Pull:
            return "pull";
        case SyncOperation::Sync:
            return "sync";
    }
    return "sync";
}

void printReportText(const client::SyncReport& report, SyncOperation operation) {
    std::cout << nameOf(operation) << (report.complete ? " complete" : " incomplete") << ": "
              << report.pushed << " pushed, " << report.pulled << " pulled ("
              << formatBytes(report.bytesSent) << " sent, " << formatBytes(report.bytesReceived)
              << " received)\n";
    std::cout << "  pending " << report.pendingChanges << ", open conflicts "
              << report.openConflicts << '\n';
    if (report.conflictsRaised != 0) {
        std::cout << "  " << count(report.conflictsRaised, "change", "changes")
                  << " raised a conflict: see `verdant conflicts`\n";
    }
    if (report.quarantined != 0) {
        std::cout << "  " << count(report.quarantined, "change was", "changes were")
                  << " refused by the server and kept in the quarantine: see `verdant status`\n";
    }
    if (report.quarantineDecided != 0) {
        std::cout << "  HQ decided on "
                  << count(report.quarantineDecided, "refused change", "refused changes")
                  << ": see `verdant status`\n";
    }
    if (report.restamped != 0) {
        std::cout << "  " << count(report.restamped, "unsent change", "unsent changes")
                  << " re-dated after the server found this device's clock ahead\n";
    }
    if (report.purgedScopes != 0) {
        std::cout << "  " << count(report.purgedScopes, "scope", "scopes")
                  << " no longer assigned to this user removed from the device\n";
    }
    if (report.repairedScopes != 0) {
        std::cout << "  " << count(report.repairedScopes, "scope", "scopes")
                  << " re-fetched whole after a checksum mismatch\n";
    }
    if (report.attempts != 0) {
        std::cout << "  " << count(report.attempts, "request", "requests")
                  << " retried after transient failures\n";
    }
}

int runSyncOperation(const Invocation& invocation, SyncOperation operation) {
    std::optional<int> attempts;
    if (auto text = invocation.value("attempts")) {
        try {
            std::size_t end = 0;
            attempts = std::stoi(*text, &end);
            if (end != text->size() || *attempts < 1 || *attempts > 100) {
                attempts.reset();
            }
        } catch (const std::exception&) {
            attempts.reset();
        }
        if (!attempts) {
            throw UsageError("--attempts needs a number from 1 to 100", invocation.command);
        }
    }
    const bool verbose = invocation.has("verbose");
    SyncLogPrinter logPrinter(std::cerr);
    auto session =
        Session::open(invocation, Session::Network::Used, [&](client::ClientOptions& options) {
            if (attempts) {
                options.retry.maxAttempts = *attempts;
            }
            if (verbose) {
                options.log = [&logPrinter](const client::LogEntry& e) { logPrinter.print(e); };
            }
        });
    // The log's lines tell the progress already; a line rewritten in place would garble them.
    const bool terminal = ::isatty(STDERR_FILENO) != 0 && !verbose;
    SyncProgressPrinter printer(std::cerr, !verbose && (terminal || invocation.has("progress")),
                                terminal);
    const auto progress = [&printer](const client::SyncProgress& step) { printer.show(step); };
    client::SyncReport report;
    switch (operation) {
        case SyncOperation::Push:
            report = session.client->push(progress);
            break;
        case SyncOperation::Pull:
            report = session.client->pull(progress);
            break;
        case SyncOperation::Sync:
            report = session.client->sync(progress);
            break;
    }
    printer.finish();
    if (invocation.json()) {
        printJson(std::cout, toJson(report, nameOf(operation)));
    } else {
        printReportText(report, operation);
    }
    if (operation == SyncOperation::Sync && report.complete) {
        // The records first, all of them; then the bytes of the photos they name.
        uploadPendingPhotos(*session.client, invocation);
    }
    for (const auto& error : report.errors) {
        std::cerr << "verdant " << nameOf(operation) << ": " << shared::wireName(error.code) << ": "
                  << error.message << '\n';
    }
    if (report.complete) {
        return kExitOk;
    }
    const bool signedOut =
        std::any_of(report.errors.begin(), report.errors.end(), [](const client::SyncError& error) {
            return shared::categoryOf(error.code) == shared::ErrorCategory::Unauthorised;
        });
    if (signedOut) {
        std::cerr << "verdant " << nameOf(operation)
                  << ": the server no longer accepts this sign-in; run `verdant login` again "
                     "(unsent changes stay in the outbox)\n";
        return kExitNotSignedIn;
    }
    return kExitFailed;
}

}  // namespace

std::span<const CommandSpec> commandTable() {
    return table();
}

int runCommand(const Invocation& invocation) {
    using Handler = int (*)(const Invocation&);
    static const std::map<std::string_view, Handler> kHandlers = {
        {"login", runLogin},
        {"status", runStatus},
        {"pull", runPull},
        {"push", runPush},
        {"sync", runSync},
        {"audits", runAudits},
        {"answer", runAnswer},
        {"submit", runSubmit},
        {"conflicts", runConflicts},
        {"schedule-audit", runScheduleAudit},
        {"sessions", runSessions},
        {"roster", runRoster},
        {"checkin", runCheckIn},
        {"checkout", runCheckOut},
        {"certificate", runCertificate},
        {"verify-certificate", runVerifyCertificate},
        {"photo", runPhoto},
        {"health", runHealth},
        {"version", runVersion},
    };
    if (invocation.help()) {
        printHelp(std::cout, *invocation.command);
        return kExitOk;
    }
    return kHandlers.at(invocation.command->name)(invocation);
}

int runVersion(const Invocation& invocation) {
    if (invocation.json()) {
        auto document = jsonObject();
        document->set("version", std::string(shared::versionString()));
        document->set("protocol", std::string(shared::kProtocolVersion));
        printJson(std::cout, document);
    } else {
        std::cout << "verdant " << shared::versionString() << " (sync protocol "
                  << shared::kProtocolVersion << ")\n";
    }
    return kExitOk;
}

int runHealth(const Invocation& invocation) {
    const auto settings = Settings::resolve(invocation);
    settings.checkServer();
    client::HttpsTransport transport(settings.server);
    const auto response = transport.send("GET", "/v1/health");
    Poco::JSON::Object::Ptr body;
    try {
        Poco::JSON::Parser parser;
        body = parser.parse(response.body).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        printError(invocation, shared::ErrorCode::InternalError,
                   "The server's answer (HTTP " + std::to_string(response.status) +
                       ") is not a health report.");
        return kExitFailed;
    }
    if (invocation.json()) {
        printJson(std::cout, body);
    } else {
        auto storage = body->getObject("storage");
        std::cout << settings.server.baseUrl << ": " << body->optValue<std::string>("status", "?")
                  << " (Verdant " << body->optValue<std::string>("version", "?") << ", storage "
                  << (storage ? storage->optValue<std::string>("backend", "?") + " " +
                                    storage->optValue<std::string>("status", "?")
                              : std::string("unknown"))
                  << ")\n";
    }
    return response.status == 200 ? kExitOk : kExitFailed;
}

int runLogin(const Invocation& invocation) {
    const auto tenant = invocation.value("tenant").value_or("");
    const auto username = invocation.value("user").value_or("");
    if (tenant.empty() || username.empty()) {
        throw UsageError("login needs --tenant TENANT and --user USER", invocation.command);
    }
    // Without --server or $VERDANT_SERVER, signing in again goes to the server of the last login.
    const auto settings = Settings::resolve(invocation);
    settings.checkServer();
    const auto secret = password(invocation, username + "@" + tenant);
    makeDataDirectory(settings.dataDirectory);
    auto options = settings.clientOptions();
    if (auto name = invocation.value("device-name"); name && !name->empty()) {
        options.deviceName = *name;
    }
    auto client = client::Client::signIn(options, tenant, username, secret);
    CurrentAccount{tenant, username, settings.server.baseUrl, settings.server.caFile}.save(
        settings.dataDirectory);
    const auto status = client->status();
    if (invocation.json()) {
        auto document = toJson(status);
        document->set("data_dir", settings.dataDirectory);
        document->set("server", settings.server.baseUrl);
        printJson(std::cout, document);
    } else {
        std::cout << "Signed in as " << status.username << " (" << status.role << ") of tenant "
                  << status.tenant << " on " << settings.server.baseUrl << ".\n"
                  << "Local data: " << settings.dataDirectory << "\n"
                  << "Next: `verdant pull` downloads the audits assigned to you.\n";
    }
    return kExitOk;
}

int runStatus(const Invocation& invocation) {
    auto session = Session::open(invocation);
    const auto status = session.client->status();
    const auto quarantine = session.client->quarantine();
    const auto pendingRecords = recordsIn(session.client->pendingChanges());
    if (invocation.json()) {
        auto document = toJson(status);
        document->set("pending_records", pendingRecords);
        document->set("data_dir", session.settings.dataDirectory);
        document->set("server", session.settings.server.baseUrl);
        Poco::JSON::Array::Ptr entries = new Poco::JSON::Array;
        for (const auto& entry : quarantine) {
            entries->add(toJson(entry));
        }
        document->set("quarantine", entries);
        printJson(std::cout, document);
        return kExitOk;
    }
    printStatusText(status, pendingRecords, session.settings);
    if (!quarantine.empty()) {
        std::cout << "\nRefused by the server (kept here and on the server for HQ to accept or "
                     "discard):\n";
        TextTable table({"RECORD", "FIELD", "VALUE", "REASON", "HQ"});
        for (const auto& entry : quarantine) {
            table.add({entry.change.collection + "/" + entry.change.recordId.toString(),
                       entry.change.field.empty()
                           ? std::string(shared::wireName(entry.change.operation))
                           : entry.change.field,
                       displayValue(entry.change.value),
                       std::string(shared::wireName(entry.code)) + ": " + entry.message,
                       entry.decision.value_or("waiting")});
        }
        table.print(std::cout);
    }
    return kExitOk;
}

int runPush(const Invocation& invocation) {
    return runSyncOperation(invocation, SyncOperation::Push);
}

int runPull(const Invocation& invocation) {
    return runSyncOperation(invocation, SyncOperation::Pull);
}

int runSync(const Invocation& invocation) {
    return runSyncOperation(invocation, SyncOperation::Sync);
}

}  // namespace verdant::cli
