// Verifies App Store Connect API tokens the way Apple does: ES256 over the registered public key
// of the `kid`, audience, issuer (team keys) or `sub: "user"` (individual keys), a lifetime of
// at most 20 minutes, `iat`/`exp` against the clock, and the optional `scope` list.
#pragma once

#include "encoding.hpp"

#include <ascpp/auth/private_key.hpp>
#include <ascpp/sim/simulator.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ascpp::sim {

struct jwt_verdict {
    unsigned status = 401; // 0 when accepted, else 401 or 403
    std::string key_id;    // set once the kid is known
    std::string reason;    // why it was refused; names no secret
    bool ok() const noexcept { return status == 0; }
};

class jwt_verifier {
public:
    jwt_verifier(std::chrono::seconds max_lifetime, std::chrono::seconds skew)
        : max_lifetime_(max_lifetime), skew_(skew) {}

    // Generates a P-256 key pair, registers its public key and returns the PKCS#8 private key.
    api_credentials create_key(bool individual);
    void add_key(std::string key_id, std::string issuer_id, std::string_view public_key_pem);
    void revoke(std::string_view key_id);

    // `authorization` is the whole header value; `method` and `target` (path and query) are
    // matched against a scoped token's entries.
    jwt_verdict verify(std::string_view authorization, std::string_view method,
                       std::string_view target, sys_time now) const;

private:
    struct key_entry {
        std::string issuer_id; // empty: individual key
        std::shared_ptr<const auth::public_key> public_key;
        bool revoked = false;
    };
    std::chrono::seconds max_lifetime_;
    std::chrono::seconds skew_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, key_entry> keys_;
};

} // namespace ascpp::sim
