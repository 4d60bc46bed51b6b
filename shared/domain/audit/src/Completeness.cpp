#include "verdant/audit/Completeness.hpp"

#include "verdant/shared/StrictJson.hpp"

#include <Poco/JSON/Object.h>

namespace verdant::audit {

using shared::ErrorCode;
using shared::ValidationError;

namespace {

/// How many open questions a refusal names (a message never grows with the template).
constexpr std::size_t kNamedMissing = 5;

/// Whether a `value` document answers "not applicable".
bool answersNotApplicable(const std::string& value) {
    try {
        const auto object = shared::parseStrictJsonObject(value);
        const auto answer = object->get("answer");
        if (answer.isString()) {
            const auto text = answer.extract<std::string>();
            return text == "na" || text == "n/a";
        }
    } catch (const shared::Error&) {
        // Not a JSON object: an answer of another form.
    }
    return false;
}

bool isBlank(const std::string& text) {
    return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

}  // namespace

void AnswerMarks::take(std::string_view field, const shared::Value& written) {
    const bool text = written.kind() == shared::ValueKind::String;
    if (field == "value") {
        value = written.kind() == shared::ValueKind::Json
                    ? std::optional(written.as<shared::JsonText>().text)
                    : std::nullopt;
    } else if (field == "result") {
        result = text ? std::optional(written.as<std::string>()) : std::nullopt;
    } else if (field == "comment") {
        comment = text ? written.as<std::string>() : std::string();
    }
}

QuestionStatus statusOf(const AnswerMarks* marks) {
    if (marks == nullptr) {
        return QuestionStatus::Missing;
    }
    if (marks->result == "not_applicable") {
        return QuestionStatus::NotApplicable;
    }
    if (marks->result == "not_reviewed") {
        return isBlank(marks->comment) ? QuestionStatus::Missing : QuestionStatus::NotReviewed;
    }
    if (marks->result) {
        return QuestionStatus::Answered;
    }
    if (!marks->value) {
        return QuestionStatus::Missing;
    }
    return answersNotApplicable(*marks->value) ? QuestionStatus::NotApplicable
                                               : QuestionStatus::Answered;
}

Completeness completenessOf(const ChecklistTemplate& checklist,
                            const std::map<std::string, AnswerMarks>& answers) {
    Completeness completeness;
    for (const auto& id : checklist.questionIds()) {
        ++completeness.questions;
        const auto found = answers.find(id);
        switch (statusOf(found == answers.end() ? nullptr : &found->second)) {
            case QuestionStatus::Answered:
                ++completeness.answered;
                break;
            case QuestionStatus::NotApplicable:
                ++completeness.notApplicable;
                break;
            case QuestionStatus::NotReviewed:
                ++completeness.notReviewed;
                break;
            case QuestionStatus::Missing:
                completeness.missing.push_back(id);
                break;
        }
    }
    return completeness;
}

std::optional<ValidationError> submissionRefusal(const Completeness& completeness) {
    if (completeness.complete()) {
        return std::nullopt;
    }
    std::string named;
    for (std::size_t i = 0; i < completeness.missing.size() && i < kNamedMissing; ++i) {
        named += (i == 0 ? "" : ", ") + completeness.missing[i];
    }
    if (completeness.missing.size() > kNamedMissing) {
        named += ", …";
    }
    return ValidationError{
        ErrorCode::InvalidTransition,
        "The audit is incomplete: " + std::to_string(completeness.missing.size()) + " of " +
            std::to_string(completeness.applicable()) +
            " applicable questions are neither answered, marked N/A, nor marked not reviewed "
            "with a reason (" +
            named + "); it cannot be submitted yet."};
}

}  // namespace verdant::audit
