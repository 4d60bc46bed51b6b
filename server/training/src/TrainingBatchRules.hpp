#pragma once

#include "verdant/server/sync/DomainModule.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>

namespace verdant::server {

/// The training rules over one push batch: who may write what (training::ownershipRefusal),
/// values on their own (training::valueRefusal), a session's schedule and course, and no joining
/// a cancelled session. Reads what it needs through the batch when made (a session's stored
/// schedule and status, the courses the batch names), so a push costs what it carries.
class TrainingBatchRules final : public BatchRules {
public:
    TrainingBatchRules(PushBatch& batch, const Principal& principal);

    std::optional<shared::ValidationError> checkContent(const shared::Change& change) override;

private:
    /// A session as the batch leaves it: stored values, then the batch's Sets in order.
    struct SessionView {
        std::optional<std::int64_t> startsAtMs;
        std::optional<std::int64_t> endsAtMs;
        std::optional<std::string> status;
    };

    void readSession(PushBatch& batch, const shared::RecordId& session);
    std::optional<shared::ValidationError> checkSession(const shared::Change& change) const;
    std::optional<shared::ValidationError> checkRegistration(const shared::Change& change) const;

    shared::Role _role;
    std::map<shared::RecordId, SessionView> _sessions;
    std::map<shared::RecordId, shared::RecordId> _sessionOfRegistration;
    std::set<shared::RecordId> _knownCourses;  ///< Stored and live, or created by the batch.
};

}  // namespace verdant::server
