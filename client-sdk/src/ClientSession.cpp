#include "ClientImpl.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <filesystem>

namespace verdant::client {

using shared::ErrorCode;
using shared::Hlc;

std::string hlcText(const Hlc& hlc) {
    return std::to_string(hlc.physicalMs) + ":" + std::to_string(hlc.logical);
}

std::optional<Hlc> hlcFromText(const std::optional<std::string>& text) {
    if (!text) {
        return std::nullopt;
    }
    const auto colon = text->find(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    try {
        Hlc hlc;
        hlc.physicalMs = std::stoull(text->substr(0, colon));
        hlc.logical = static_cast<std::uint16_t>(std::stoul(text->substr(colon + 1)));
        return hlc;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

Client::Impl::Impl(ClientOptions options, const std::string& path)
    : _options(std::move(options)),
      _wallClock(_options.clock != nullptr ? *_options.clock : shared::SystemClock::instance()),
      _serverClock(_wallClock),
      _state(path, _options.onOpenDatabase),
      _log(_options.log),
      // Beside the database: "<user>.db" keeps its photos in "<user>.blobs/".
      _blobs(std::filesystem::path(path).replace_extension(".blobs")),
      _uploadSettings(_options.uploads) {
    auto device = shared::DeviceId::parse(_state.get(kDeviceId).value_or(""));
    if (!device) {
        device = shared::IdGenerator(_wallClock).nextDeviceId();
        _state.set(kDeviceId, device->toString());
    }
    _deviceId = *device;
    _savedOffsetMs = _state.getInteger(kOffsetMs, 0);
    _serverClock.setOffset(_savedOffsetMs);
    // A device accepts whatever its server accepted: no drift bound on the device side.
    _hlc = std::make_unique<shared::HlcClock>(_serverClock, _deviceId.low64(), std::nullopt);
    sync::StoreOptions storeOptions;
    storeOptions.clock = _hlc.get();
    storeOptions.durable = _options.durable;
    storeOptions.onOpen = _options.onOpenDatabase;
    storeOptions.cacheKiB = 8 * 1024;
    storeOptions.mmapBytes = 64LL * 1024 * 1024;
    _store = std::make_unique<sync::Store>(path, domain::domainSchema(), storeOptions);
    _ackedSeq = static_cast<std::uint64_t>(_state.getInteger(kAckedSeq, 0));
    _sentSeq = static_cast<std::uint64_t>(_state.getInteger(kSentSeq, 0));
    _nextSeq = _store->highWaterMark(_deviceId) + 1;
    // Later stamps sort after this device's own last change and after what it has seen.
    const auto own = _store->deviceChanges(_deviceId, _nextSeq > 1 ? _nextSeq - 2 : 0, 1);
    if (!own.empty()) {
        _hlc->tryReceive(own.front().change.hlc);
    }
    if (const auto remote = hlcFromText(_state.get(kMaxRemoteHlc))) {
        _maxRemoteHlc = *remote;
        _savedMaxRemoteHlc = hlcText(*remote);
        _hlc->tryReceive(*remote);
    }
    _transport =
        _options.transport ? _options.transport : std::make_shared<HttpsTransport>(_options.server);
    _api = std::make_unique<ServerApi>(_transport, _options.useJson);
    _uploads = std::make_unique<UploadQueue>(path, _options.onOpenDatabase);
    _uploadTransport = _options.uploadTransport ? _options.uploadTransport
                       : _options.transport     ? _options.transport
                                                : std::make_shared<HttpsTransport>(_options.server);
    _tus = std::make_unique<TusApi>(_uploadTransport);
}

Client::Impl::~Impl() {
    stopBackground();
}

void Client::Impl::rememberSignIn(const std::string& tenant, const std::string& username,
                                  const SessionTokens& tokens) {
    std::lock_guard lock(_storeMutex);
    if (!tokens.tenantId.empty()) {
        _state.set(kTenantId, tokens.tenantId);
    }
    _state.set({{kTenant, tenant},
                {kUsername, username},
                {kUserId, tokens.userId},
                {kRole, tokens.role},
                {kAccessToken, tokens.accessToken},
                {kRefreshToken, tokens.refreshToken}});
    _userId = tokens.userId;
    _role = shared::roleFromWireName(tokens.role);
}

bool Client::Impl::loadIdentity() {
    std::lock_guard lock(_storeMutex);
    _userId = _state.get(kUserId).value_or("");
    _role = shared::roleFromWireName(_state.get(kRole).value_or(""));
    return !_userId.empty();
}

SessionTokens Client::Impl::signInOnline(const std::string& tenant, const std::string& username,
                                         const std::string& password) {
    std::lock_guard sync(_syncMutex);
    auto tokens =
        _api->signIn(tenant, username, password, _deviceId.toString(), _options.deviceName);
    const auto previous = [&] {
        std::lock_guard lock(_storeMutex);
        return _state.get(kUserId);
    }();
    if (previous && !previous->empty() && *previous != tokens.userId) {
        throw shared::Error(ErrorCode::DeviceMismatch,
                            "This local store belongs to another account with that name.");
    }
    rememberSignIn(tenant, username, tokens);
    return tokens;
}

void Client::Impl::signOut() {
    stopBackground();
    std::lock_guard sync(_syncMutex);
    std::optional<std::string> refresh;
    {
        std::lock_guard lock(_storeMutex);
        refresh = _state.get(kRefreshToken);
    }
    if (refresh) {
        try {
            _api->signOut(*refresh);
        } catch (const shared::Error&) {
            // Offline: the token expires on its own; forgetting it here is what matters.
        }
    }
    std::lock_guard lock(_storeMutex);
    _state.erase(kAccessToken);
    _state.erase(kRefreshToken);
}

ClientStatus Client::Impl::status() {
    std::lock_guard lock(_storeMutex);
    ClientStatus status;
    status.tenant = _state.get(kTenant).value_or("");
    status.username = _state.get(kUsername).value_or("");
    status.userId = _userId;
    status.role = _state.get(kRole).value_or("");
    status.deviceId = _deviceId.toString();
    status.signedIn = _state.get(kRefreshToken).has_value();
    status.pendingChanges = outbox().size();
    status.openConflicts = _store->openConflicts().size();
    status.quarantined = _state.quarantinedCount();
    if (const auto last = _state.get(kLastSyncMs)) {
        status.lastSyncMs = _state.getInteger(kLastSyncMs, 0);
    }
    if (const auto code = _state.get(kLastErrorCode)) {
        const auto parsed = shared::errorCodeFromWireName(*code);
        status.lastError = SyncError{parsed.value_or(ErrorCode::InternalError),
                                     _state.get(kLastErrorMessage).value_or("")};
    }
    status.serverOffsetMs = _serverClock.offset();
    return status;
}

std::string Client::Impl::userId() {
    std::lock_guard lock(_storeMutex);
    return _userId;
}

bool Client::Impl::hasTokens() {
    std::lock_guard lock(_storeMutex);
    return _state.get(kRefreshToken).has_value() && !_userId.empty();
}

std::string Client::Impl::accessToken() {
    std::lock_guard lock(_storeMutex);
    return _state.get(kAccessToken).value_or("");
}

void Client::Impl::refreshTokens() {
    std::optional<std::string> refresh;
    {
        std::lock_guard lock(_storeMutex);
        refresh = _state.get(kRefreshToken);
    }
    if (!refresh) {
        throw shared::Error(ErrorCode::NotSignedIn);
    }
    try {
        const auto tokens = [&] {
            try {
                return _api->refresh(*refresh);
            } catch (const AnswerLost&) {
                // The server may have rotated the token, and the new pair was lost with the
                // answer. The same token again, at once, is inside the server's grace window
                // and gets a working pair; waiting out a backoff could leave the window.
                return _api->refresh(*refresh);
            }
        }();
        std::lock_guard lock(_storeMutex);
        _state.set({{kAccessToken, tokens.accessToken}, {kRefreshToken, tokens.refreshToken}});
        if (!tokens.tenantId.empty()) {
            _state.set(kTenantId, tokens.tenantId);  // a store signed in before it was kept
        }
    } catch (const shared::Error& error) {
        if (isAuthFailure(error.code())) {
            std::lock_guard lock(_storeMutex);
            _state.erase(kAccessToken);
            _state.erase(kRefreshToken);
        }
        throw;
    }
}

}  // namespace verdant::client
