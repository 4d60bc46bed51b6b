// The C API's shared parts (see CapiSupport.hpp).

#include "CapiSupport.hpp"

#include "JsonWriter.hpp"

#include "verdant/domain/DomainSchema.hpp"

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace verdant::capi {
namespace {

// The size of the first version of the versioned struct verdant_options: a caller compiled against
// any later header passes at least this much. Freeze it when members are added.
constexpr std::size_t kOptionsV1Size =
    offsetof(verdant_options, retry_initial_delay_ms) + sizeof(int);

thread_local LastError tLastError;

}  // namespace

const LastError& lastError() noexcept {
    return tLastError;
}

void setLastError(int code, const char* message, const char* field) noexcept {
    tLastError.code = code;
    try {
        tLastError.message = message;
        tLastError.field = field;
    } catch (...) {  // out of memory: keep the code, drop the words
        tLastError.message.clear();
        tLastError.field.clear();
    }
}

int fail(shared::ErrorCode code, const char* message, const char* field) noexcept {
    setLastError(static_cast<int>(code), message, field);
    return static_cast<int>(code);
}

[[noreturn]] void invalid(const std::string& message) {
    throw shared::Error(shared::ErrorCode::InvalidParameter, message);
}

/// A required UTF-8 string argument.
std::string text(const char* value, const char* name) {
    if (!value) {
        invalid(std::string(name) + " is NULL.");
    }
    std::string copy(value);
    if (!isValidUtf8(copy)) {
        invalid(std::string(name) + " is not valid UTF-8.");
    }
    return copy;
}

/// An optional UTF-8 string argument (NULL = empty).
std::string optionalText(const char* value, const char* name) {
    return value ? text(value, name) : std::string();
}

client::Client& clientOf(verdant_client* handle) {
    if (!handle || !handle->client) {
        invalid("client is NULL.");
    }
    return *handle->client;
}

const shared::CollectionSpec& collectionOf(const char* name) {
    const auto collection = text(name, "collection");
    const auto* spec = domain::domainSchema().collection(collection);
    if (!spec) {
        throw shared::Error(shared::ErrorCode::UnknownCollection,
                            "The collection " + collection + " is not part of the schema.");
    }
    return *spec;
}

shared::RecordId recordIdOf(const char* value, const char* name) {
    const auto id = shared::RecordId::parse(text(value, name));
    if (!id) {
        invalid(std::string(name) + " is not a record id (UUID text).");
    }
    return *id;
}

/// A caller-owned copy of `value`, freed with verdant_string_free().
char* copyOut(const std::string& value) {
    auto* copy = static_cast<char*>(std::malloc(value.size() + 1));
    if (!copy) {
        throw std::bad_alloc();
    }
    std::memcpy(copy, value.c_str(), value.size() + 1);
    return copy;
}

client::ClientOptions clientOptionsOf(const verdant_options* options) {
    const auto& given = required(options, "options");
    if (given.struct_size < kOptionsV1Size) {
        invalid("options->struct_size is too small; fill the options with verdant_options_init().");
    }
    client::ClientOptions result;
    result.dataDirectory = text(given.data_directory, "options->data_directory");
    result.server.baseUrl = text(given.server_url, "options->server_url");
    if (result.dataDirectory.empty() || result.server.baseUrl.empty()) {
        invalid("options->data_directory and options->server_url are required.");
    }
    result.server.caFile = optionalText(given.ca_file, "options->ca_file");
    if (given.device_name) {
        result.deviceName = text(given.device_name, "options->device_name");
    }
    if (given.timeout_seconds < 0 || given.retry_max_attempts < 0 ||
        given.retry_initial_delay_ms < 0) {
        invalid("options: timeouts, attempts and delays must not be negative.");
    }
    if (given.timeout_seconds > 0) {
        result.server.timeoutSeconds = given.timeout_seconds;
    }
    result.durable = given.durable != 0;
    if (given.retry_max_attempts > 0) {
        result.retry.maxAttempts = given.retry_max_attempts;
    }
    if (given.retry_initial_delay_ms > 0) {
        result.retry.initialDelay = std::chrono::milliseconds(given.retry_initial_delay_ms);
    }
    return result;
}

/// Adopts a new Client as a handle the caller owns.
verdant_client* handleOf(std::unique_ptr<client::Client> client) {
    auto handle = std::make_unique<verdant_client>();
    handle->client = std::move(client);
    return handle.release();
}

/// Turns a refused write into the exception guarded() reports.
void requireWritten(const client::WriteResult& result) {
    if (!result.ok) {
        throw FieldInputError(result.error.value_or(shared::ErrorCode::InvalidChange), result.field,
                              result.message);
    }
}

}  // namespace verdant::capi
