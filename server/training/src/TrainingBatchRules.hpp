#pragma once

#include "verdant/server/sync/DomainModule.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>

namespace verdant::server {

/// The training rules over one push batch: who may write what (training::ownershipRefusal),
/// values on their own (training::valueRefusal), a session's schedule and course, and no joining
/// a cancelled session, no seat beyond a full session without a waitlist, no outcome set by hand
/// without a reason. Reads what it needs through the batch when made (a session's stored
/// schedule and status, the courses the batch names, the seats of a session without a waitlist
/// the batch registers someone in), so a push costs what it carries. After the batch, its
/// follow-ups keep each session it touched in step with its seats and its end (SessionRoster).
class TrainingBatchRules final : public BatchRules {
public:
    TrainingBatchRules(PushBatch& batch, const Principal& principal);

    std::optional<shared::ValidationError> checkContent(const shared::Change& change) override;
    std::optional<shared::ValidationError> checkStep(const shared::Change& change) override;
    std::vector<ServerWrite> followUps(const sync::Store& after, std::int64_t nowMs) override;

private:
    /// A session as the batch leaves it: stored values, then the batch's Sets in order.
    struct SessionView {
        std::optional<std::int64_t> startsAtMs;
        std::optional<std::int64_t> endsAtMs;
        std::optional<std::string> status;
        /// For a session without a waitlist the batch registers someone in: its capacity and the
        /// registrations holding a seat (as stored, then as this batch's registrations pass).
        std::optional<std::int64_t> capacity;
        std::optional<std::set<shared::RecordId>> seated;
    };

    void readSession(PushBatch& batch, const shared::RecordId& session);
    std::optional<shared::ValidationError> checkSession(const shared::Change& change) const;
    std::optional<shared::ValidationError> checkRegistration(const shared::Change& change) const;
    void readSeats(PushBatch& batch, const shared::RecordId& session);

    shared::Role _role;
    std::map<shared::RecordId, SessionView> _sessions;
    std::map<shared::RecordId, shared::RecordId> _sessionOfRegistration;
    std::set<shared::RecordId> _knownCourses;  ///< Stored and live, or created by the batch.
    /// The sessions whose seats or outcomes the batch may move (affectsRoster), for followUps.
    std::set<shared::RecordId> _rosters;
    /// The outcome_reason the batch gives each registration it sets one of.
    std::map<shared::RecordId, std::string> _reasons;
};

}  // namespace verdant::server
