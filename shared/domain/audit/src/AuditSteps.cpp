#include "verdant/audit/AuditSteps.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <utility>

namespace verdant::audit {

using shared::ErrorCode;
using shared::ValidationError;

namespace {

/// The audit states in the order of progress (DomainSchema.cpp declares the same order).
constexpr std::array<std::string_view, 7> kAuditStates = {
    "scheduled", "in_progress", "returned", "submitted", "under_review", "approved", "closed"};

/// The rank of an audit state in kAuditStates; -1 for no state or an unknown one.
int auditRank(std::optional<std::string_view> state) {
    if (!state) {
        return -1;
    }
    const auto found = std::find(kAuditStates.begin(), kAuditStates.end(), *state);
    return found == kAuditStates.end() ? -1 : static_cast<int>(found - kAuditStates.begin());
}

std::string describe(std::optional<std::string_view> state) {
    return state ? std::string(*state) : std::string("without a state");
}

}  // namespace

int auditStateRank(std::optional<std::string_view> state) noexcept {
    return auditRank(state);
}

bool isSubmittedState(std::string_view state) noexcept {
    return auditRank(state) >= auditRank("submitted");
}

bool isLockedState(std::string_view state) noexcept {
    return auditRank(state) >= auditRank("approved");
}

std::optional<ValidationError> auditTransitionRefusal(std::optional<std::string_view> from,
                                                      std::string_view to,
                                                      shared::Operation operation, bool actorIsHq) {
    const int target = auditRank(to);
    const int current = auditRank(from);
    if (target < 0) {
        return std::nullopt;  // not a state: the schema refuses it with its own code
    }
    if (operation == shared::Operation::Reopen) {
        if (!actorIsHq) {
            return ValidationError{ErrorCode::Forbidden,
                                   "Only HQ may reopen or return an audit; ask a reviewer."};
        }
        if (to == "returned" && from != "submitted" && from != "under_review") {
            return ValidationError{
                ErrorCode::InvalidTransition,
                "Only a submitted audit can be returned; this one is " + describe(from) + "."};
        }
        if (current >= 0 && target >= current) {
            return ValidationError{ErrorCode::InvalidTransition,
                                   "A reopen goes back: the audit is " + describe(from) +
                                       ", not past " + std::string(to) + "."};
        }
        return std::nullopt;
    }
    if (operation != shared::Operation::Set) {
        return std::nullopt;
    }
    if (!actorIsHq && to != "in_progress" && to != "submitted") {
        return ValidationError{
            ErrorCode::Forbidden,
            "A field expert may start or submit an audit, not mark it " + std::string(to) + "."};
    }
    if (to == "returned") {
        return ValidationError{ErrorCode::InvalidTransition,
                               "An audit is returned by HQ's review (a reopen), not set."};
    }
    if (!actorIsHq && current >= 0 && isLockedState(*from)) {
        return ValidationError{ErrorCode::AuditLocked,
                               "The audit is " + std::string(*from) + "; it cannot be " +
                                   std::string(to) +
                                   " again. Ask HQ to reopen it if something must be corrected."};
    }
    if (current >= target) {
        // A step the role may take, arriving after the audit moved on (a co-auditor's offline
        // "start" after the lead submitted): the monotone merge keeps the later state, so it
        // changes nothing and is not worth a quarantine entry.
        return std::nullopt;
    }
    // The steps forward, from where the audit is.
    static const std::set<std::pair<std::string_view, std::string_view>> kSteps = {
        {"", "scheduled"},
        {"", "in_progress"},
        {"scheduled", "in_progress"},
        {"", "submitted"},
        {"scheduled", "submitted"},
        {"in_progress", "submitted"},
        {"returned", "submitted"},
        {"submitted", "under_review"},
        {"submitted", "approved"},
        {"under_review", "approved"},
        {"approved", "closed"},
    };
    if (kSteps.count({from.value_or(""), to}) == 0) {
        return ValidationError{ErrorCode::InvalidTransition, "An audit that is " + describe(from) +
                                                                 " cannot become " +
                                                                 std::string(to) + " in one step."};
    }
    return std::nullopt;
}

std::optional<ValidationError> capTransitionRefusal(std::optional<std::string_view> from,
                                                    std::string_view to, bool actorIsHq) {
    static const std::set<std::string_view> kHqDecisions = {"approved", "rejected", "verified",
                                                            "reopened"};
    if (!actorIsHq && kHqDecisions.count(to) != 0) {
        return ValidationError{ErrorCode::Forbidden, "Only HQ may mark a corrective action plan " +
                                                         std::string(to) + "."};
    }
    if (from && *from == to) {
        return std::nullopt;
    }
    static const std::set<std::pair<std::string_view, std::string_view>> kSteps = {
        {"", "draft"},
        {"", "submitted"},
        {"draft", "submitted"},
        {"submitted", "draft"},  // withdrawn to be reworked
        {"submitted", "approved"},
        {"submitted", "rejected"},
        {"rejected", "draft"},
        {"rejected", "submitted"},
        {"approved", "in_progress"},
        {"in_progress", "evidence_submitted"},
        {"evidence_submitted", "verified"},
        {"evidence_submitted", "reopened"},
        {"verified", "reopened"},
        {"reopened", "in_progress"},
        {"reopened", "evidence_submitted"},
    };
    if (kSteps.count({from.value_or(""), to}) == 0) {
        return ValidationError{ErrorCode::InvalidTransition,
                               "A corrective action plan that is " +
                                   (from ? std::string(*from) : std::string("new")) +
                                   " cannot become " + std::string(to) + "."};
    }
    return std::nullopt;
}

}  // namespace verdant::audit
