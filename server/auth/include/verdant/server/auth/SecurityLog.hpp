#pragma once

#include <string>
#include <string_view>

namespace verdant::server {

/// The security log: one line per sign-in, failed sign-in, throttled sign-in, refresh, refresh
/// replay and sign-out, on the Poco logger "verdant.security", as `event=… tenant=… user=…
/// user_id=… device=… client=…` (values quoted when needed, bounded, control characters
/// replaced). Never a password or a token.
///
/// Thread-safe; the client address is that of the request served on the calling thread (see
/// ClientScope), so the services need not know HTTP.
class SecurityLog {
public:
    /// Who an event concerns; empty fields are left out.
    struct Subject {
        std::string_view tenant;    ///< The tenant slug as given, or the tenant id.
        std::string_view username;  ///< The user name as given (may not exist).
        std::string_view userId;
        std::string_view deviceId;
    };

    /// While alive, events logged on this thread carry `client` (the peer's address).
    class ClientScope {
    public:
        explicit ClientScope(std::string client);
        ~ClientScope();
        ClientScope(const ClientScope&) = delete;
        ClientScope& operator=(const ClientScope&) = delete;

    private:
        std::string _client;
        const std::string* _previous;
    };

    /// A routine event (a sign-in, a refresh, a sign-out), at notice level.
    static void notice(std::string_view event, const Subject& subject,
                       std::string_view detail = {});
    /// A refusal worth a look (a wrong password, a lock, a replay), at warning level.
    static void warning(std::string_view event, const Subject& subject,
                        std::string_view detail = {});

    /// `event=… tenant=…` as logged (for tests).
    static std::string line(std::string_view event, const Subject& subject,
                            std::string_view detail);
};

}  // namespace verdant::server
