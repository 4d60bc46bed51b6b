#pragma once
// What every part of the C API (verdant.h) shares: the handle, the calling thread's last error,
// guarded() that turns exceptions into error codes, and the readers of C arguments and writers of
// C results. Internal to the library: bindings see verdant.h only.

#include "RecordJson.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/verdant.h"

#include <memory>
#include <new>
#include <string>

/// The opaque handle of verdant.h: owns one Client.
struct verdant_client {
    std::unique_ptr<verdant::client::Client> client;
};

namespace verdant::capi {

// --- Last error, per thread ----------------------------------------------------------------------

/// The outcome of the calling thread's last C API call (verdant_last_error_*()).
struct LastError {
    int code = VERDANT_OK;
    std::string message;
    std::string field;
};

/// The calling thread's last error.
const LastError& lastError() noexcept;

/// Records the calling thread's last error; out of memory keeps the code and drops the words.
void setLastError(int code, const char* message, const char* field) noexcept;

/// Records `code` as the last error and returns its number.
int fail(shared::ErrorCode code, const char* message, const char* field = "") noexcept;

/// Runs `body`, returning VERDANT_OK or the code of whatever it threw; no exception escapes.
template <class Body>
int guarded(Body&& body) noexcept {
    try {
        body();
        setLastError(VERDANT_OK, "", "");
        return VERDANT_OK;
    } catch (const FieldInputError& error) {
        return fail(error.code(), error.what(), error.field().c_str());
    } catch (const shared::Error& error) {
        return fail(error.code(), error.what());
    } catch (const std::bad_alloc&) {
        return fail(shared::ErrorCode::InternalError, "Out of memory.");
    } catch (...) {
        // Foreign exceptions (Poco, the standard library) may carry internals in what():
        // never show those, the code's default message says enough.
        return fail(shared::ErrorCode::InternalError, "An internal error occurred.");
    }
}

// --- Arguments -------------------------------------------------------------------------------

/// Throws shared::Error(InvalidParameter) with `message`.
[[noreturn]] void invalid(const std::string& message);

/// A required UTF-8 string argument.
std::string text(const char* value, const char* name);

/// An optional UTF-8 string argument (NULL = empty).
std::string optionalText(const char* value, const char* name);

/// A required pointer argument, dereferenced.
template <class T>
T& required(T* pointer, const char* name) {
    if (!pointer) {
        invalid(std::string(name) + " is NULL.");
    }
    return *pointer;
}

/// The Client of a handle; throws InvalidParameter for NULL.
client::Client& clientOf(verdant_client* handle);

/// The schema's collection named `name`; throws UnknownCollection for any other name.
const shared::CollectionSpec& collectionOf(const char* name);

/// A record id argument (UUID text).
shared::RecordId recordIdOf(const char* value, const char* name);

// --- Results -------------------------------------------------------------------------------------

/// Sets an out-pointer to NULL before anything can fail, so a failed call leaves NULL behind.
template <class T>
void clearOut(T** out) noexcept {
    if (out) {
        *out = nullptr;
    }
}

/// A caller-owned copy of `value`, freed with verdant_string_free().
char* copyOut(const std::string& value);

/// The ClientOptions a caller's verdant_options describe.
client::ClientOptions clientOptionsOf(const verdant_options* options);

/// Adopts a new Client as a handle the caller owns.
verdant_client* handleOf(std::unique_ptr<client::Client> client);

/// Turns a refused write into the exception guarded() reports.
void requireWritten(const client::WriteResult& result);

}  // namespace verdant::capi
