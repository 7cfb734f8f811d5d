// ES256 JSON Web Tokens for the App Store Connect API, cached and renewed before they expire.
#pragma once

#include <ascpp/auth/private_key.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ascpp::auth {

struct token_options {
    std::string key_id; // header `kid`
    std::optional<std::string>
        issuer_id; // claim `iss` (team key); absent: individual key, sub "user"
    std::string audience = "appstoreconnect-v1";
    std::chrono::seconds lifetime{1200};    // exp - iat; Apple rejects more than 20 minutes
    std::chrono::seconds backdate{60};      // iat is this far in the past, for clock skew
    std::chrono::seconds renew_before{120}; // renew when the token has less left than this
    std::vector<std::string> scope; // optional claim, e.g. "GET /v1/apps?filter[platform]=IOS"
    // Time source (tests move it). Defaults to system_clock::now.
    std::function<std::chrono::system_clock::time_point()> clock;
};

// The claims of one token (what sign_token signs).
struct token_claims {
    std::string key_id;
    std::optional<std::string> issuer_id;
    std::string audience = "appstoreconnect-v1";
    std::int64_t issued_at = 0;  // iat, Unix seconds
    std::int64_t expires_at = 0; // exp, Unix seconds
    std::vector<std::string> scope;
};

// header.payload.signature with header {"alg":"ES256","kid":...,"typ":"JWT"}.
std::string sign_token(const private_key& key, const token_claims& claims);

struct token {
    std::string value; // the JWT; a secret: never log it
    std::chrono::system_clock::time_point expires_at;
};

// Thread-safe: concurrent callers share one cached token, and when it is due for renewal one of
// them signs a new one while the others wait for it (signing takes microseconds, no I/O).
class token_provider {
public:
    // Throws std::invalid_argument when key_id is empty or the lifetime is not in (0, 20 min].
    token_provider(private_key key, token_options options);
    ~token_provider();
    token_provider(const token_provider&) = delete;
    token_provider& operator=(const token_provider&) = delete;

    // A valid token with at least options.renew_before left (renewing it when needed).
    token current();
    // "Bearer <token>".
    std::string authorization();
    // Drops the cached token, so the next call signs a new one (e.g. after a 401).
    void invalidate();
    // How far the API's clock is ahead of this machine's (negative: behind). Tokens are dated by
    // the API's clock from now on; a change drops the cached token. api::client sets it from
    // the Date header of a 401, so a machine whose clock is wrong still gets accepted tokens.
    void set_clock_offset(std::chrono::seconds offset);
    std::chrono::seconds clock_offset() const;

    // How many tokens were signed so far.
    std::uint64_t tokens_signed() const;
    const token_options& options() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace ascpp::auth
