#pragma once

#include <mutex>
#include <set>
#include <string>

namespace verdant::server {

/// The uploads a request is writing now: a second writer of the same upload is refused
/// (423 upload_locked) instead of waiting or interleaving its bytes. Thread-safe.
class UploadLocks {
public:
    /// Holds one upload's lock until destruction (when it was had).
    class Guard {
    public:
        Guard(UploadLocks& locks, std::string id);
        ~Guard();
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;
        /// Whether this guard holds the lock (false: another request does).
        bool held() const { return _held; }

    private:
        UploadLocks& _locks;
        std::string _id;
        bool _held;
    };

    /// Whether a request holds the upload's lock now.
    bool locked(const std::string& id) const;

private:
    bool tryLock(const std::string& id);
    void unlock(const std::string& id);

    mutable std::mutex _mutex;
    std::set<std::string> _held;
};

}  // namespace verdant::server
