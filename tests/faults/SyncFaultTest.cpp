// Randomized fault trials of the whole system: real devices (SDK clients with their own local
// stores) sharing audits with a real verdant-server process over real TLS, under cut
// connections, lost or truncated answers, expired tokens, app deaths and server SIGKILLs. After
// healing, nothing is applied twice, nothing refused is applied behind the quarantine, every
// replica holds what the server holds, and no device was signed out (see FaultTrial.hpp for the
// checks).
//
//   VERDANT_FAULT_TRIALS=200 ctest --test-dir build/test -L faults --output-on-failure
//   VERDANT_FAULT_SEED=<seed> VERDANT_FAULT_TRIALS=1 ...   replays the trial of that seed
//
// A trial's random decisions follow its seed; the interleaving of the parallel syncs and the
// moment of a kill do not, so a replay takes the same actions and faults but may not fail the
// same way every time.

#include "FaultTrial.hpp"
#include "TemporaryDirectory.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

namespace verdant {
namespace {

constexpr int kDefaultTrials = 20;
constexpr std::uint64_t kDefaultSeed = 20261123;
constexpr std::size_t kExamplesPerCheck = 3;

std::uint64_t fromEnvironment(const char* name, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    return text == nullptr || *text == '\0' ? fallback : std::stoull(text);
}

TEST(SyncFaults, RandomTrialsApplyEveryChangeOnceAndConvergeAfterHealing) {
    const auto trials = fromEnvironment("VERDANT_FAULT_TRIALS", kDefaultTrials);
    const auto firstSeed = fromEnvironment("VERDANT_FAULT_SEED", kDefaultSeed);
    std::cout << "fault trials: " << trials << ", seeds " << firstSeed << " to "
              << firstSeed + trials - 1 << "\n";

    std::map<std::string, std::vector<std::uint64_t>> failedSeeds;  // check -> seeds
    std::map<std::string, std::vector<std::string>> examples;       // check -> messages
    test::TrialReport total;
    int failedTrials = 0;
    const auto started = std::chrono::steady_clock::now();
    for (std::uint64_t trial = 0; trial < trials; ++trial) {
        const auto seed = firstSeed + trial;
        test::TemporaryDirectory dir;
        const auto report =
            test::runFaultTrial({VERDANT_SERVER_BINARY, dir.path(), seed, /*rounds=*/4});
        for (const auto& [check, messages] : report.failures) {
            failedSeeds[check].push_back(seed);
            for (const auto& message : messages) {
                if (examples[check].size() < kExamplesPerCheck) {
                    examples[check].push_back("seed " + std::to_string(seed) + ": " + message);
                }
            }
        }
        failedTrials += report.failed() ? 1 : 0;
        total.serverKills += report.serverKills;
        total.changesMade += report.changesMade;
        total.changesResent += report.changesResent;
        total.conflictsRaised += report.conflictsRaised;
        total.quarantined += report.quarantined;
        total.accepted += report.accepted;
        total.discarded += report.discarded;
        total.conflictsResolved += report.conflictsResolved;
        total.faults.requests += report.faults.requests;
        total.faults.cutBeforeSend += report.faults.cutBeforeSend;
        total.faults.expiredTokens += report.faults.expiredTokens;
        total.faults.crashes += report.faults.crashes;
        total.faults.unreachable += report.faults.unreachable;
        for (const auto& [kind, count] : report.faults.lostAnswers) {
            total.faults.lostAnswers[kind] += count;
        }
        for (const auto& [kind, count] : report.faults.truncatedBodies) {
            total.faults.truncatedBodies[kind] += count;
        }
        std::cout << "trial " << trial << " seed " << seed << ": "
                  << (report.failed() ? "FAILED" : "ok") << " (" << report.changesMade
                  << " changes, " << report.serverKills << " kills, heal passes "
                  << report.healPasses << ")";
        for (const auto& [check, messages] : report.failures) {
            std::cout << " " << check << "×" << messages.size();
        }
        std::cout << std::endl;
    }
    const auto seconds = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count() /
                         1000.0;

    std::cout << "\n"
              << trials << " trials in " << seconds << " s ("
              << seconds / static_cast<double>(trials) << " s each); " << failedTrials
              << " failed\n"
              << "  changes made " << total.changesMade << ", sent again by hand "
              << total.changesResent << ", conflicts raised " << total.conflictsRaised
              << ", quarantined " << total.quarantined << " (HQ accepted " << total.accepted
              << ", discarded " << total.discarded << "), conflicts resolved by HQ "
              << total.conflictsResolved << "\n"
              << "  requests " << total.faults.requests << ", cut before send "
              << total.faults.cutBeforeSend << ", expired tokens " << total.faults.expiredTokens
              << ", app deaths " << total.faults.crashes << ", server kills " << total.serverKills
              << ", unreachable " << total.faults.unreachable << ", lost answers:";
    for (const auto& [kind, count] : total.faults.lostAnswers) {
        std::cout << " " << kind << " " << count;
    }
    std::cout << ", bodies cut short:";
    for (const auto& [kind, count] : total.faults.truncatedBodies) {
        std::cout << " " << kind << " " << count;
    }
    std::cout << "\n";
    for (const auto& [check, seeds] : failedSeeds) {
        std::cout << "  " << check << " failed in " << seeds.size() << " trials, seeds:";
        for (const auto seed : seeds) {
            std::cout << " " << seed;
        }
        std::cout << "\n";
        for (const auto& example : examples[check]) {
            std::cout << "    " << example << "\n";
        }
    }
    RecordProperty("trials", static_cast<int>(trials));
    RecordProperty("failed_trials", failedTrials);

    EXPECT_EQ(failedTrials, 0)
        << "replay one with VERDANT_FAULT_SEED=<seed> VERDANT_FAULT_TRIALS=1";
    EXPECT_GT(total.faults.lostAnswers["push"], 0) << "the faults must strike";
    EXPECT_GT(total.faults.truncatedBodies["push"] + total.faults.truncatedBodies["pull"], 0);
    EXPECT_GT(total.faults.lostAnswers["refresh"] + total.faults.expiredTokens, 0);
    EXPECT_GT(total.quarantined, 0) << "refusals must happen";
}

}  // namespace
}  // namespace verdant
