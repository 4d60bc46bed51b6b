#pragma once

#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/http/Router.hpp"

namespace verdant::server {

/// The authentication routes:
///  - `POST /v1/auth/login`   {tenant, username, password, device_id?, device_name?} → tokens
///  - `POST /v1/auth/refresh` {refresh_token} → a new pair (the old refresh token stops working)
///  - `POST /v1/auth/logout`  {refresh_token} → revokes every token of that sign-in
///  - `GET  /v1/me`           (bearer) → who the token belongs to
/// Token responses: {access_token, token_type: "Bearer", expires_in, refresh_token,
/// user: {id, username, role, tenant_id, device_id}}. A sign-in refused while its account is
/// locked is 429 `too_many_attempts` with `Retry-After` (seconds). The sign-in routes log to the
/// SecurityLog with the client's address.
class AuthEndpoint {
public:
    /// The service must outlive the endpoint.
    explicit AuthEndpoint(AuthService& auth) : _auth(auth) {}

    /// Registers the routes.
    void registerRoutes(Router& router);

private:
    AuthService& _auth;
};

}  // namespace verdant::server
