#pragma once

#include "CommandLine.hpp"
#include "CurrentAccount.hpp"

#include "verdant/client/Client.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace verdant::cli {

/// Where this invocation keeps its data and which server it talks to, from the options, the
/// environment and the account recorded at login, in that order of precedence.
struct Settings {
    std::string dataDirectory;              ///< --data-dir, $VERDANT_DATA_DIR, ~/.verdant.
    client::ServerEndpoint server;          ///< --server/--ca, $VERDANT_SERVER/$VERDANT_CA...
    std::optional<CurrentAccount> account;  ///< Recorded by the last login, if any.

    /// Resolves the settings of `invocation`; reads the account file if there is one.
    static Settings resolve(const Invocation& invocation);

    /// Checks what reaching the server needs (the CA file exists); commands that use the
    /// network call it, so a missing CA never stops offline work. Throws
    /// shared::Error(InvalidParameter).
    void checkServer() const;

    /// SDK options for these settings.
    client::ClientOptions clientOptions() const;
};

/// The signed-in user's local store, re-opened without the network.
struct Session {
    Settings settings;                       ///< Where it came from.
    std::string tenant;                      ///< The account's tenant.
    std::string username;                    ///< The account's user.
    std::unique_ptr<client::Client> client;  ///< Open on the local store.

    /// Whether the command will talk to the server.
    enum class Network { Unused, Used };

    /// Opens the account chosen by --tenant/--user or else the current one. Throws
    /// shared::Error(NotSignedIn) when there is none or it never signed in on this device, and
    /// for Network::Used what Settings::checkServer() throws. `adjust` may change the SDK
    /// options first (e.g. the retry policy).
    static Session open(const Invocation& invocation, Network network = Network::Unused,
                        const std::function<void(client::ClientOptions&)>& adjust = {});
};

}  // namespace verdant::cli
