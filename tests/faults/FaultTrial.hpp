#pragma once

#include "FaultyTransport.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace verdant::test {

/// What one randomized fault trial needs.
struct TrialSettings {
    std::string serverBinary;  ///< The verdant-server executable.
    std::string directory;     ///< An empty directory the trial may fill.
    std::uint64_t seed = 0;    ///< Seeds every random decision of the trial.
    int rounds = 4;            ///< Rounds of offline work and faulty syncs before healing.
};

/// The checks a trial makes after healing; each failure names one of them.
namespace checks {
inline constexpr const char* kAppliedAndQuarantined = "applied_and_quarantined";
inline constexpr const char* kResendNotDuplicate = "resend_not_duplicate";
inline constexpr const char* kNotOnServerOnce = "not_on_server_once";
inline constexpr const char* kReplicasDisagree = "replicas_disagree";
inline constexpr const char* kSignedOut = "signed_out";
inline constexpr const char* kDidNotHeal = "did_not_heal";
inline constexpr const char* kHarness = "harness";  ///< The trial itself could not run.
}  // namespace checks

/// What a trial did and found.
struct TrialReport {
    std::map<std::string, std::vector<std::string>> failures;  ///< Check name → what failed.
    FaultCounts faults;                                        ///< Summed over every device.
    int serverKills = 0;        ///< SIGKILLs of the server mid-round.
    int changesMade = 0;        ///< Changes made on the devices.
    int changesResent = 0;      ///< Changes sent again by hand after healing.
    int conflictsRaised = 0;    ///< Pushed changes that raised a conflict (as reported).
    int quarantined = 0;        ///< Entries in the server's quarantine at the end.
    int accepted = 0;           ///< Quarantine entries HQ accepted.
    int discarded = 0;          ///< Quarantine entries HQ discarded.
    int conflictsResolved = 0;  ///< Conflicts HQ resolved through the review API.
    int healPasses = 0;         ///< Fault-free sync passes until every device was quiet.

    bool failed() const { return !failures.empty(); }
};

/// One randomized trial: a real verdant-server process, three field experts sharing two audits
/// (each lead of one, co-auditor of the other) and an HQ reviewer, each a device SDK client with
/// its own local store. For a few rounds the devices work offline at random (answers to the same
/// questions, a co-auditor settling a conflict that only the lead may settle, writes of HQ-only
/// fields) and then sync at once, in parallel, through FaultyTransport (cut connections, lost
/// answers to pushes, pulls and token refreshes, expired tokens, the app dying mid-request)
/// while the server may be SIGKILLed and restarted; HQ resolves conflicts and accepts or
/// discards refused changes through the review API. Then the faults stop, every device syncs
/// until nothing moves, and the trial checks, on the server's own store and on every device's:
///  - no (device, seq) is both in the change log and in the quarantine;
///  - every change any device ever sent, sent again by hand with its credentials, is
///    `duplicate`, and changes nothing on the server;
///  - every change a device made is on the server exactly once (logged or quarantined), and the
///    device and the server agree on which were applied;
///  - every replica holds what the server holds (checksums of its scopes), and no device was
///    signed out.
TrialReport runFaultTrial(const TrialSettings& settings);

}  // namespace verdant::test
