#include "verdant/audit/ChecklistTemplate.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/shared/StrictJson.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cmath>

namespace verdant::audit {

using shared::ErrorCode;
using shared::ValidationError;
namespace collections = audit::collections;

namespace {

/// The JSON object in `text`, or null when it is not JSON or not an object. Parsed strictly: an
/// answer of 2^64 + 1 must not read as 1 and pass a range check.
Poco::JSON::Object::Ptr parseObject(std::string_view text) {
    try {
        return shared::parseStrictJsonObject(text);
    } catch (const shared::Error&) {
        return nullptr;  // not JSON, not an object, or past the parser's limits
    }
}

/// Whether `value` is a JSON number (Poco counts booleans as numeric; a checklist does not).
bool isNumber(const Poco::Dynamic::Var& value) {
    return !value.isEmpty() && !value.isBoolean() && value.isNumeric();
}

/// The number `key` of `object`, or nullopt when absent or not a number.
std::optional<double> numberOf(const Poco::JSON::Object& object, const std::string& key) {
    const auto value = object.get(key);
    if (!isNumber(value)) {
        return std::nullopt;
    }
    return value.convert<double>();
}

/// How many Unicode code points UTF-8 `text` has (continuation bytes are not counted).
std::size_t codePoints(const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

ChecklistQuestion::Type typeNamed(const std::string& name) {
    using Type = ChecklistQuestion::Type;
    if (name == "yes_no_na") {
        return Type::YesNoNa;
    }
    if (name == "number") {
        return Type::Number;
    }
    if (name == "score_0_5") {
        return Type::Score0To5;
    }
    if (name == "choice") {
        return Type::Choice;
    }
    if (name == "text") {
        return Type::Text;
    }
    return Type::Other;
}

/// The string `key` of `object`, or "" when it is absent or not a string.
std::string stringOf(const Poco::JSON::Object& object, const std::string& key) {
    const auto value = object.get(key);
    return value.isString() ? value.extract<std::string>() : std::string();
}

/// Reads how a reviewer sees a question: its clause (the id when it names none), its text in
/// each language and the severity a "no" stands for.
void readWording(const Poco::JSON::Object& object, ChecklistQuestion& question) {
    question.clause = stringOf(object, "clause");
    if (question.clause.empty()) {
        question.clause = question.id;
    }
    question.defaultSeverity = stringOf(object, "default_severity");
    if (const auto text = object.getObject("text")) {
        question.textEn = stringOf(*text, "en");
        question.textZh = stringOf(*text, "zh");
    }
}

ChecklistQuestion questionFrom(const Poco::JSON::Object& object, std::string id) {
    ChecklistQuestion question;
    question.id = std::move(id);
    question.type = typeNamed(object.optValue<std::string>("type", ""));
    if (const auto choices = object.getArray("choices")) {
        for (std::size_t i = 0; i < choices->size(); ++i) {
            if (choices->get(i).isString()) {
                question.choices.push_back(choices->getElement<std::string>(i));
            }
        }
    }
    // Limits may sit on the question or in its "limits" object; the question's own win.
    const auto limits = object.getObject("limits");
    const auto limit = [&](const std::string& key) {
        auto own = numberOf(object, key);
        return own || !limits ? own : numberOf(*limits, key);
    };
    question.min = limit("min");
    question.max = limit("max");
    const auto maxLength = limit("max_length");
    question.maxLength = maxLength && *maxLength >= 0 ? static_cast<std::size_t>(*maxLength)
                                                      : ChecklistTemplate::kDefaultMaxTextLength;
    readWording(object, question);
    return question;
}

ValidationError refusal(ErrorCode code, const ChecklistQuestion& question,
                        const std::string& detail) {
    return ValidationError{code, "Question " + question.id + ": " + detail};
}

}  // namespace

std::optional<ChecklistTemplate> ChecklistTemplate::parse(std::string_view content) {
    const auto document = parseObject(content);
    const auto sections = document ? document->getArray("sections") : nullptr;
    if (!sections) {
        return std::nullopt;
    }
    ChecklistTemplate checklist;
    for (std::size_t s = 0; s < sections->size(); ++s) {
        const auto section = sections->getObject(static_cast<unsigned>(s));
        const auto questions = section ? section->getArray("questions") : nullptr;
        for (std::size_t q = 0; questions && q < questions->size(); ++q) {
            const auto question = questions->getObject(static_cast<unsigned>(q));
            if (question && question->get("id").isString()) {
                auto id = question->getValue<std::string>("id");
                if (checklist._questions.count(id) == 0) {
                    checklist._order.push_back(id);
                }
                checklist._questions.insert_or_assign(id, questionFrom(*question, id));
            }
        }
    }
    return checklist;
}

const ChecklistQuestion* ChecklistTemplate::question(std::string_view id) const {
    const auto found = _questions.find(id);
    return found == _questions.end() ? nullptr : &found->second;
}

std::optional<ValidationError> ChecklistTemplate::check(const ChecklistQuestion& question,
                                                        const shared::Value& value) {
    using Type = ChecklistQuestion::Type;
    if (value.isNull() || question.type == Type::Other) {
        return std::nullopt;
    }
    const auto object = value.kind() == shared::ValueKind::Json
                            ? parseObject(value.as<shared::JsonText>().text)
                            : nullptr;
    if (!object || !object->has("answer")) {
        return refusal(ErrorCode::InvalidAnswer, question,
                       R"(an answer is a JSON object with an "answer" key.)");
    }
    const auto answer = object->get("answer");
    switch (question.type) {
        case Type::YesNoNa: {
            static const std::vector<std::string> kAllowed = {"yes", "no", "na", "n/a"};
            if (!answer.isString() || std::find(kAllowed.begin(), kAllowed.end(),
                                                answer.extract<std::string>()) == kAllowed.end()) {
                return refusal(ErrorCode::InvalidAnswer, question,
                               R"(answer "yes", "no", "na" or "n/a".)");
            }
            return std::nullopt;
        }
        case Type::Number: {
            if (!isNumber(answer)) {
                return refusal(ErrorCode::InvalidAnswer, question, "the answer must be a number.");
            }
            const auto number = answer.convert<double>();
            if ((question.min && number < *question.min) ||
                (question.max && number > *question.max)) {
                return refusal(ErrorCode::AnswerOutOfRange, question,
                               answer.convert<std::string>() + " is outside the allowed range.");
            }
            return std::nullopt;
        }
        case Type::Score0To5: {
            if (!isNumber(answer)) {
                return refusal(ErrorCode::InvalidAnswer, question,
                               "the answer must be a whole number from 0 to 5.");
            }
            const auto number = answer.convert<double>();
            if (number < 0 || number > 5) {
                return refusal(
                    ErrorCode::AnswerOutOfRange, question,
                    "a score is from 0 to 5, not " + answer.convert<std::string>() + ".");
            }
            if (std::floor(number) != number) {
                return refusal(ErrorCode::InvalidAnswer, question,
                               "a score is a whole number from 0 to 5.");
            }
            return std::nullopt;
        }
        case Type::Choice: {
            if (!answer.isString() ||
                std::find(question.choices.begin(), question.choices.end(),
                          answer.extract<std::string>()) == question.choices.end()) {
                return refusal(ErrorCode::ChoiceNotInList, question,
                               "the answer must be one of the question's choices.");
            }
            return std::nullopt;
        }
        case Type::Text: {
            if (!answer.isString()) {
                return refusal(ErrorCode::InvalidAnswer, question, "the answer must be text.");
            }
            const auto length = codePoints(answer.extract<std::string>());
            if (length > question.maxLength) {
                return refusal(ErrorCode::AnswerTooLong, question,
                               "the answer has " + std::to_string(length) +
                                   " characters; at most " + std::to_string(question.maxLength) +
                                   " are allowed.");
            }
            return std::nullopt;
        }
        case Type::Other:
            break;
    }
    return std::nullopt;
}

std::optional<ValidationError> answerRefusal(const ChecklistTemplate& checklist,
                                             std::optional<std::string> questionId,
                                             const shared::Change& change) {
    if (change.collection != collections::kAnswers || change.operation != shared::Operation::Set) {
        return std::nullopt;
    }
    // Every field of an answer to an unknown question is refused, not only the question and
    // value: one refused answer leaves no half-written record behind.
    if (change.field == "question_id" && change.value.kind() == shared::ValueKind::String) {
        questionId = change.value.as<std::string>();
    }
    if (!questionId) {
        return std::nullopt;
    }
    const auto* question = checklist.question(*questionId);
    if (question == nullptr) {
        return ValidationError{ErrorCode::UnknownQuestion,
                               "The audit's template version has no question " + *questionId + "."};
    }
    return change.field == "value" ? ChecklistTemplate::check(*question, change.value)
                                   : std::nullopt;
}

}  // namespace verdant::audit
