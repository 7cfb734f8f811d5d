#include "jwt_verifier.hpp"

#include <ascpp/auth/base64url.hpp>
#include <ascpp/auth/error.hpp>
#include <ascpp/auth/private_key.hpp>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace ascpp::sim {

namespace json = boost::json;

namespace {

std::string random_key_id() {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char bytes[10];
    RAND_bytes(bytes, sizeof bytes);
    std::string id;
    for (unsigned char b : bytes)
        id.push_back(alphabet[b % 36]);
    return id;
}

std::optional<std::int64_t> number_claim(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end())
        return std::nullopt;
    if (it->value().is_int64())
        return it->value().as_int64();
    if (it->value().is_uint64())
        return static_cast<std::int64_t>(it->value().as_uint64());
    if (it->value().is_double())
        return static_cast<std::int64_t>(it->value().as_double());
    return std::nullopt;
}

const json::string* string_claim(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    return it != o.end() && it->value().is_string() ? &it->value().get_string() : nullptr;
}

// The query of a scope entry or request as a set, without the paging and ordering parameters
// Apple ignores when matching scopes.
std::multiset<std::string> scope_query(boost::urls::url_view u) {
    std::multiset<std::string> out;
    for (auto p : u.params()) {
        if (p.key == "limit" || p.key == "cursor" || p.key == "sort")
            continue;
        out.insert(std::string(p.key) + "=" + std::string(p.value));
    }
    return out;
}

bool scope_matches(std::string_view entry, std::string_view method, std::string_view target) {
    auto space = entry.find(' ');
    if (space == std::string_view::npos || entry.substr(0, space) != method)
        return false;
    std::string entry_target = normalize_target(entry.substr(space + 1));
    auto want = boost::urls::parse_origin_form(entry_target);
    auto got = boost::urls::parse_origin_form(target);
    if (!want || !got)
        return false;
    return want->path() == got->path() && scope_query(*want) == scope_query(*got);
}

} // namespace

api_credentials jwt_verifier::create_key(bool individual) {
    auto key = auth::private_key::generate();
    api_credentials c;
    c.private_key_pem = key.to_pem();
    c.key_id = random_key_id();
    c.individual = individual;
    if (!individual)
        c.issuer_id = random_uuid();
    add_key(c.key_id, c.issuer_id, key.public_key_pem());
    return c;
}

void jwt_verifier::add_key(std::string key_id, std::string issuer_id,
                           std::string_view public_key_pem) {
    if (key_id.empty())
        throw std::invalid_argument("a key id is required");
    std::shared_ptr<const auth::public_key> key;
    try {
        key = std::make_shared<const auth::public_key>(auth::public_key::from_pem(public_key_pem));
    } catch (const auth::key_error& e) {
        throw std::invalid_argument(std::string("the public key of ") + key_id +
                                    " is not a P-256 SubjectPublicKeyInfo PEM");
    }
    std::lock_guard lock(mutex_);
    keys_[std::move(key_id)] = key_entry{std::move(issuer_id), std::move(key), false};
}

void jwt_verifier::revoke(std::string_view key_id) {
    std::lock_guard lock(mutex_);
    auto it = keys_.find(std::string(key_id));
    if (it != keys_.end())
        it->second.revoked = true;
}

jwt_verdict jwt_verifier::verify(std::string_view authorization, std::string_view method,
                                 std::string_view target, sys_time now) const {
    jwt_verdict v;
    auto refuse = [&](std::string reason) {
        v.reason = std::move(reason);
        return v;
    };
    constexpr std::string_view bearer = "Bearer ";
    if (authorization.empty())
        return refuse("no Authorization header");
    if (authorization.size() <= bearer.size() ||
        !std::equal(bearer.begin(), bearer.end(), authorization.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        return refuse("the Authorization header is not a Bearer token");
    std::string_view token = authorization.substr(bearer.size());
    auto dot1 = token.find('.');
    auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return refuse("the token is not a compact JWS");
    auto header_text = auth::base64url_decode(token.substr(0, dot1));
    auto payload_text = auth::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    auto signature = auth::base64url_decode(token.substr(dot2 + 1));
    if (!header_text || !payload_text || !signature)
        return refuse("the token is not base64url");
    boost::system::error_code ec;
    json::value header = json::parse(*header_text, ec);
    if (ec || !header.is_object())
        return refuse("the token header is not a JSON object");
    json::value payload = json::parse(*payload_text, ec);
    if (ec || !payload.is_object())
        return refuse("the token payload is not a JSON object");
    auto& h = header.get_object();
    auto& p = payload.get_object();

    auto* alg = string_claim(h, "alg");
    if (!alg || *alg != "ES256")
        return refuse("the token is not signed with ES256");
    if (auto* typ = string_claim(h, "typ"); h.contains("typ") && (!typ || *typ != "JWT"))
        return refuse("the token type is not JWT");
    auto* kid = string_claim(h, "kid");
    if (!kid)
        return refuse("the token has no kid");

    key_entry key;
    {
        std::lock_guard lock(mutex_);
        auto it = keys_.find(std::string(*kid));
        if (it == keys_.end())
            return refuse("the key id is not known");
        key = it->second;
    }
    v.key_id = std::string(*kid);

    if (signature->size() != 64)
        return refuse("the signature is not a 64-byte ES256 signature");
    if (!key.public_key->verify_es256(token.substr(0, dot2), *signature))
        return refuse("the signature does not verify");

    auto* aud = string_claim(p, "aud");
    if (!aud || *aud != "appstoreconnect-v1")
        return refuse("the audience is not appstoreconnect-v1");
    if (key.issuer_id.empty()) {
        auto* sub = string_claim(p, "sub");
        if (!sub || *sub != "user")
            return refuse("an individual key's token must have sub \"user\"");
        if (p.contains("iss"))
            return refuse("an individual key's token must not have iss");
    } else {
        auto* iss = string_claim(p, "iss");
        if (!iss || *iss != key.issuer_id)
            return refuse("the issuer does not match the key's team");
    }
    auto iat = number_claim(p, "iat");
    auto exp = number_claim(p, "exp");
    if (!exp)
        return refuse("the token has no exp");
    std::int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (iat && *iat > now_s + skew_.count())
        return refuse("the token is issued in the future");
    if (*exp <= now_s)
        return refuse("the token has expired");
    // Without iat the lifetime is measured from now.
    std::int64_t start = iat ? *iat : now_s;
    if (*exp - start > max_lifetime_.count())
        return refuse("the token lifetime exceeds 20 minutes");

    if (auto it = p.find("scope"); it != p.end()) {
        if (!it->value().is_array())
            return refuse("the token scope is not an array");
        bool matched = false;
        for (auto& e : it->value().get_array())
            if (e.is_string() && scope_matches(e.get_string(), method, target))
                matched = true;
        if (!matched)
            return refuse("the request is outside the token's scope");
    }
    if (key.revoked) {
        v.status = 403;
        v.reason = "the key was revoked";
        return v;
    }
    v.status = 0;
    return v;
}

} // namespace ascpp::sim
