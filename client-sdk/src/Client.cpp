#include "verdant/client/Client.hpp"

#include "ClientImpl.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <cctype>
#include <filesystem>

namespace verdant::client {

using shared::Change;
using shared::ErrorCode;
using shared::Operation;
using shared::RecordId;

std::string_view wireName(RecordSyncState state) noexcept {
    switch (state) {
        case RecordSyncState::Local:
            return "local";
        case RecordSyncState::Queued:
            return "queued";
        case RecordSyncState::Sent:
            return "sent";
        case RecordSyncState::Synced:
            return "synced";
        case RecordSyncState::Conflict:
            return "conflict";
        case RecordSyncState::Quarantined:
            return "quarantined";
    }
    return "synced";
}

FieldWrite FieldWrite::set(std::string field, shared::Value value) {
    return FieldWrite{std::move(field), std::move(value), Operation::Set};
}

FieldWrite FieldWrite::add(std::string field, std::string element) {
    return FieldWrite{std::move(field), shared::Value::string(std::move(element)), Operation::Add};
}

FieldWrite FieldWrite::remove(std::string field, std::string element) {
    return FieldWrite{std::move(field), shared::Value::string(std::move(element)),
                      Operation::Remove};
}

FieldWrite FieldWrite::reopen(std::string field, std::string state) {
    return FieldWrite{std::move(field), shared::Value::string(std::move(state)), Operation::Reopen};
}

namespace {

/// A file-name-safe form of a tenant or user name: [A-Za-z0-9._-] kept, the rest %XX.
std::string pathSafe(const std::string& text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0x0F]);
        }
    }
    if (out.empty() || out == "." || out == "..") {
        out = "%" + out;
    }
    return out;
}

std::string preparePath(const ClientOptions& options, const std::string& tenant,
                        const std::string& username) {
    if (options.dataDirectory.empty()) {
        throw shared::Error(ErrorCode::InvalidParameter, "Name a data directory for the SDK.");
    }
    if (tenant.empty() || username.empty()) {
        throw shared::Error(ErrorCode::InvalidParameter, "Name the tenant and the user.");
    }
    return Client::databasePath(options.dataDirectory, tenant, username);
}

}  // namespace

std::string Client::databasePath(const std::string& dataDirectory, const std::string& tenant,
                                 const std::string& username) {
    return (std::filesystem::path(dataDirectory) / pathSafe(tenant) / (pathSafe(username) + ".db"))
        .string();
}

Client::Client(std::unique_ptr<Impl> impl) : _impl(std::move(impl)) {}

Client::~Client() = default;

std::unique_ptr<Client> Client::signIn(ClientOptions options, const std::string& tenant,
                                       const std::string& username, const std::string& password) {
    const auto path = preparePath(options, tenant, username);
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
    if (error) {
        throw shared::Error(ErrorCode::StorageUnavailable,
                            "Cannot create the SDK's data directory: " + error.message());
    }
    auto impl = std::make_unique<Impl>(std::move(options), path);
    impl->signInOnline(tenant, username, password);
    return std::unique_ptr<Client>(new Client(std::move(impl)));
}

std::unique_ptr<Client> Client::open(ClientOptions options, const std::string& tenant,
                                     const std::string& username) {
    const auto path = preparePath(options, tenant, username);
    if (!std::filesystem::exists(path)) {
        throw shared::Error(ErrorCode::NotSignedIn,
                            "'" + username + "' of '" + tenant +
                                "' has never signed in on this device; sign in online first.");
    }
    auto impl = std::make_unique<Impl>(std::move(options), path);
    if (!impl->loadIdentity()) {
        throw shared::Error(ErrorCode::NotSignedIn);
    }
    return std::unique_ptr<Client>(new Client(std::move(impl)));
}

void Client::signOut() {
    _impl->signOut();
}

ClientStatus Client::status() const {
    return _impl->status();
}

shared::DeviceId Client::deviceId() const {
    return _impl->deviceId();
}

std::string Client::userId() const {
    return _impl->userId();
}

std::optional<sync::Record> Client::record(std::string_view collection, const RecordId& id) const {
    return _impl->record(collection, id);
}

std::vector<sync::Record> Client::records(std::string_view collection) const {
    return _impl->records(collection);
}

std::vector<sync::Record> Client::query(std::string_view collection, std::string_view field,
                                        const shared::Value& value) const {
    return _impl->query(collection, field, value);
}

std::map<std::string, std::size_t> Client::recordsPerScope(std::string_view collection) const {
    return _impl->recordsPerScope(collection);
}

std::vector<sync::Record> Client::auditRecords(const RecordId& auditId) const {
    return _impl->scopeRecords(audit::collections::kAudits, auditId);
}

std::vector<sync::Record> Client::sessionRecords(const RecordId& sessionId) const {
    return _impl->scopeRecords(training::collections::kTrainingSessions, sessionId);
}

CheckInResult Client::checkIn(const RecordId& sessionId, std::string_view scannedToken) {
    return _impl->checkIn(sessionId, scannedToken);
}

WriteResult Client::checkOut(const RecordId& registrationId) {
    return _impl->checkOut(registrationId);
}

Roster Client::roster(const RecordId& sessionId) const {
    return _impl->roster(sessionId);
}

CertificateCheck Client::verifyCertificate(std::string_view text) const {
    return _impl->verifyCertificate(text);
}

WriteResult Client::write(std::string_view collection, const RecordId& id,
                          const std::vector<FieldWrite>& fields) {
    return _impl->write(collection, id, fields, false);
}

WriteResult Client::create(std::string_view collection, const std::vector<FieldWrite>& fields) {
    static thread_local shared::IdGenerator generator(shared::SystemClock::instance());
    return _impl->write(collection, generator.nextRecordId(), fields, false);
}

WriteResult Client::remove(std::string_view collection, const RecordId& id) {
    return _impl->write(collection, id, {}, true);
}

RecordSyncState Client::syncState(std::string_view collection, const RecordId& id) const {
    return _impl->syncState(collection, id);
}

std::map<RecordId, RecordSyncState> Client::syncStates(std::string_view collection) const {
    return _impl->syncStates(collection);
}

std::vector<sync::Conflict> Client::conflicts() const {
    return _impl->conflicts();
}

std::vector<QuarantineEntry> Client::quarantine() const {
    return _impl->quarantine();
}

std::vector<Change> Client::pendingChanges() const {
    return _impl->pendingChanges();
}

std::uint64_t Client::subscribe(std::function<void(const RecordEvent&)> callback) {
    return _impl->subscribe(std::move(callback));
}

void Client::unsubscribe(std::uint64_t handle) {
    _impl->unsubscribe(handle);
}

SyncReport Client::sync(const std::function<void(const SyncProgress&)>& progress) {
    return _impl->runSync(true, true, progress);
}

SyncReport Client::push(const std::function<void(const SyncProgress&)>& progress) {
    return _impl->runSync(true, false, progress);
}

SyncReport Client::pull(const std::function<void(const SyncProgress&)>& progress) {
    return _impl->runSync(false, true, progress);
}

std::vector<std::string> Client::checkReplica() {
    return _impl->checkReplica();
}

void Client::startBackgroundSync(std::chrono::milliseconds interval,
                                 std::function<void(const SyncReport&)> onReport) {
    _impl->startBackground(interval, std::move(onReport));
}

void Client::requestSync() {
    _impl->wakeBackground();
}

void Client::stopBackgroundSync() {
    _impl->stopBackground();
}

bool Client::backgroundSyncRunning() const {
    return _impl->backgroundRunning();
}

WriteResult Client::addPhoto(const PhotoDraft& draft) {
    return _impl->addPhoto(draft);
}

std::vector<PhotoStatus> Client::photoUploads(const std::optional<RecordId>& auditId) const {
    return _impl->photoUploads(auditId);
}

std::optional<PhotoStatus> Client::photoUpload(const RecordId& photoId) const {
    return _impl->photoUpload(photoId);
}

bool Client::retryPhoto(const RecordId& photoId) {
    return _impl->retryPhoto(photoId);
}

std::string Client::photoPath(const RecordId& photoId) const {
    return _impl->photoPath(photoId);
}

UploadReport Client::uploadPhotos(const std::function<void(const PhotoStatus&)>& progress) {
    return _impl->uploadPhotos(progress);
}

void Client::setUploadSettings(const UploadSettings& settings) {
    _impl->setUploadSettings(settings);
}

UploadSettings Client::uploadSettings() const {
    return _impl->uploadSettings();
}

void Client::setNetwork(NetworkKind network) {
    _impl->setNetwork(network);
}

PhotoDownload Client::downloadPhoto(const std::string& photoIdOrSha256,
                                    const std::string& destination) {
    return _impl->downloadPhoto(photoIdOrSha256, destination);
}

void Client::setLogCallback(LogCallback callback) {
    _impl->setLog(std::move(callback));
}

}  // namespace verdant::client