// What a check-in token costs: a tablet at the door validating scanned tokens offline (strict
// decoding, Ed25519 verification with the tenant's public key, session and window checks), and
// the server issuing them (a 500-person workshop's badges). One thread, so each figure is what
// one core does; counter "tokens_per_second".
//
//  - BM_ValidateCheckInToken: validateCheckInToken on a valid token (the whole path, accepted).
//  - BM_ValidateForgedCheckInToken: the same token with one signature character changed
//    (refused as forged: the same cost, a failed verification).
//  - BM_ValidateMalformedCheckInToken: a truncated token (refused before any cryptography).
//  - BM_IssueCheckInToken: issueCheckInToken (encoding and an Ed25519 signature).
//
// Run: build/bench/bench/verdant_checkin_token_bench --benchmark_repetitions=5
//          --benchmark_report_aggregates_only=true

#include "verdant/shared/Id.hpp"
#include "verdant/training/CheckInToken.hpp"
#include "verdant/training/SigningKey.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <variant>

namespace {

using namespace verdant;

constexpr std::int64_t kDayStartMs = 1'767'250'800'000;  // 2026-01-01T07:00:00Z
constexpr std::int64_t kHourMs = 60LL * 60 * 1000;

training::CheckInClaims workshopClaims(std::uint64_t person) {
    training::CheckInClaims claims;
    claims.tenantId = *training::TenantId::parse("0190f000-0000-7000-8000-00000000000a");
    claims.sessionId = *shared::RecordId::parse("0190f3a2-7b1c-7d3e-8f00-1a2b3c4d5e6f");
    auto registration = claims.sessionId.bytes();
    for (int i = 0; i < 8; ++i) {
        registration[15 - i] = static_cast<std::uint8_t>(person >> (8 * i));
    }
    claims.registrationId = shared::RecordId(registration);
    claims.personName = "欧阳娜娜 (Ouyang Nana)";
    claims.validFromMs = kDayStartMs;
    claims.validUntilMs = kDayStartMs + 12 * kHourMs;
    return claims;
}

void runValidation(benchmark::State& state, const std::string& token, bool accepted) {
    const auto key = training::SigningKey::generate();
    const auto publicKey = key.publicKey();
    const auto valid = training::issueCheckInToken(key, workshopClaims(1));
    const std::string& scanned = token.empty() ? valid : token;
    const auto session = workshopClaims(1).sessionId;
    for (auto _ : state) {
        auto verdict =
            training::validateCheckInToken(publicKey, scanned, session, kDayStartMs + kHourMs);
        if (std::holds_alternative<training::CheckInClaims>(verdict) != accepted) {
            state.SkipWithError("unexpected verdict");
            break;
        }
        benchmark::DoNotOptimize(verdict);
    }
    state.counters["tokens_per_second"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["token_bytes"] = static_cast<double>(scanned.size());
}

void BM_ValidateCheckInToken(benchmark::State& state) {
    runValidation(state, "", true);
}
BENCHMARK(BM_ValidateCheckInToken);

void BM_ValidateForgedCheckInToken(benchmark::State& state) {
    const auto key = training::SigningKey::generate();
    auto token = training::issueCheckInToken(key, workshopClaims(1));
    token[token.size() - 10] = token[token.size() - 10] == 'A' ? 'B' : 'A';
    // Signed by another key than the bench's: forged whichever character changed.
    runValidation(state, token, false);
}
BENCHMARK(BM_ValidateForgedCheckInToken);

void BM_ValidateMalformedCheckInToken(benchmark::State& state) {
    const auto key = training::SigningKey::generate();
    const auto token = training::issueCheckInToken(key, workshopClaims(1));
    runValidation(state, token.substr(0, token.size() - 1), false);
}
BENCHMARK(BM_ValidateMalformedCheckInToken);

void BM_IssueCheckInToken(benchmark::State& state) {
    const auto key = training::SigningKey::generate();
    std::uint64_t person = 0;
    for (auto _ : state) {
        auto token = training::issueCheckInToken(key, workshopClaims(++person % 500));
        benchmark::DoNotOptimize(token);
    }
    state.counters["tokens_per_second"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IssueCheckInToken);

}  // namespace

BENCHMARK_MAIN();
