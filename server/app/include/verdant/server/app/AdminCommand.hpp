#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace verdant::server {

/// `verdant-server admin ...`: sets up tenants and users on a fresh install, offline (it opens the
/// data directory's accounts database directly; run it while the server is up or down).
///
///   admin create-tenant --slug=SLUG --name=NAME
///   admin create-user --tenant=SLUG --username=NAME --role=ROLE [--display-name=TEXT]
///                     (the password is read from the first line of standard input)
///   admin list-users --tenant=SLUG
///   admin disable-user --tenant=SLUG --username=NAME   (ends the user's sign-ins at once)
///   admin enable-user --tenant=SLUG --username=NAME
///   admin seed-demo      a "demo" tenant with one user per role; prints how to sign in
///
/// Every command takes --data-dir=DIR (default: data, or $VERDANT_DATA_DIR). Slugs are
/// `[a-z0-9][a-z0-9-]{1,62}`, user names 1-64 printable ASCII characters without spaces, names
/// and display names 1-200 bytes without control characters; anything else is bad usage (64).
class AdminCommand {
public:
    /// Runs the command in `arguments` (the words after "admin"). Returns the process exit code:
    /// 0 done, 64 bad usage, 65 refused (e.g. already exists), 74 storage failure.
    static int run(const std::vector<std::string>& arguments, std::istream& in, std::ostream& out,
                   std::ostream& err);
};

}  // namespace verdant::server
