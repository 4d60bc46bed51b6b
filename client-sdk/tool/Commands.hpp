#pragma once

// The commands of the `verdant` tool: their table (CommandLine.hpp reads argv against it and
// prints help from it) and what each one does.

#include "CommandLine.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <span>
#include <string>

namespace verdant::cli {

/// Exit statuses of the tool.
enum ExitStatus : int {
    kExitOk = 0,           ///< Done.
    kExitFailed = 1,       ///< The operation failed: sync incomplete, write refused, no server.
    kExitUsage = 2,        ///< The command line is wrong; usage printed on stderr.
    kExitNotSignedIn = 3,  ///< No one is signed in (or the sign-in was revoked): run login.
};

/// Every command, in the order `verdant --help` lists them.
std::span<const CommandSpec> commandTable();

/// Runs a parsed invocation whose command is set. Prints its result on stdout (one JSON
/// document with --json) and returns the exit status. Throws shared::Error when the operation
/// cannot run (not signed in, server unreachable, storage...) and UsageError for values the
/// command line cannot carry (no password given).
int runCommand(const Invocation& invocation);

/// Prints why an operation failed: "verdant COMMAND: MESSAGE [CODE]" on stderr, and with --json
/// the document {"error": {"code", "category", "message", "field"}} on stdout.
void printError(const Invocation& invocation, shared::ErrorCode code, const std::string& message,
                const std::string& field = {});

// The commands, one function each (Commands.cpp and RecordCommands.cpp).
int runVersion(const Invocation& invocation);
int runHealth(const Invocation& invocation);
int runLogin(const Invocation& invocation);
int runStatus(const Invocation& invocation);
int runPush(const Invocation& invocation);
int runPull(const Invocation& invocation);
int runSync(const Invocation& invocation);
int runAudits(const Invocation& invocation);
int runAnswer(const Invocation& invocation);
int runSubmit(const Invocation& invocation);
int runConflicts(const Invocation& invocation);
int runScheduleAudit(const Invocation& invocation);
// The coordinator's day at the door (TrainingCommands.cpp).
int runSessions(const Invocation& invocation);
int runRoster(const Invocation& invocation);
int runCheckIn(const Invocation& invocation);
int runCheckOut(const Invocation& invocation);
int runCertificate(const Invocation& invocation);
int runVerifyCertificate(const Invocation& invocation);
// Photos as evidence (PhotoCommands.cpp).
int runPhoto(const Invocation& invocation);

/// Runs the photo upload queue once, printing each photo's progress on stderr and a summary
/// (on stdout; as JSON for `photo upload --json`). Used by `photo upload` and `sync`.
client::UploadReport uploadPendingPhotos(client::Client& client, const Invocation& invocation);

}  // namespace verdant::cli
