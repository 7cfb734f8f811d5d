#include <ascpp/auth/base64url.hpp>
#include <ascpp/auth/token_provider.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <mutex>
#include <stdexcept>

namespace ascpp::auth {

std::string sign_token(const private_key& key, const token_claims& claims) {
    boost::json::object header;
    header["alg"] = "ES256";
    header["kid"] = claims.key_id;
    header["typ"] = "JWT";

    boost::json::object payload;
    if (claims.issuer_id)
        payload["iss"] = *claims.issuer_id;
    else
        payload["sub"] = "user"; // individual keys: Apple requires sub "user" and no iss
    payload["iat"] = claims.issued_at;
    payload["exp"] = claims.expires_at;
    payload["aud"] = claims.audience;
    if (!claims.scope.empty()) {
        boost::json::array scope;
        for (const auto& s : claims.scope)
            scope.emplace_back(s);
        payload["scope"] = std::move(scope);
    }

    std::string signing_input = base64url_encode(boost::json::serialize(header));
    signing_input.push_back('.');
    signing_input += base64url_encode(boost::json::serialize(payload));
    std::string signature = key.sign_es256(signing_input);
    signing_input.push_back('.');
    signing_input += base64url_encode(signature);
    return signing_input;
}

struct token_provider::impl {
    impl(private_key k, token_options o) : key(std::move(k)), options(std::move(o)) {}
    private_key key;
    token_options options;
    std::mutex mutex;
    std::optional<token> cached; // guarded by mutex
    std::uint64_t signed_count = 0;
    std::chrono::seconds clock_offset{0}; // guarded by mutex

    // The API's time: this machine's clock corrected by what the API's Date header said.
    std::chrono::system_clock::time_point now() const {
        return (options.clock ? options.clock() : std::chrono::system_clock::now()) + clock_offset;
    }
};

token_provider::token_provider(private_key key, token_options options)
    : impl_(std::make_unique<impl>(std::move(key), std::move(options))) {
    const auto& o = impl_->options;
    if (o.key_id.empty())
        throw std::invalid_argument("token_provider: the key id is empty");
    if (o.lifetime <= std::chrono::seconds::zero() || o.lifetime > std::chrono::seconds(1200))
        throw std::invalid_argument(
            "token_provider: token lifetime must be between 1 s and 20 minutes");
    if (o.backdate < std::chrono::seconds::zero() ||
        o.renew_before < std::chrono::seconds::zero() || o.backdate + o.renew_before >= o.lifetime)
        throw std::invalid_argument("token_provider: backdate + renew_before must be shorter "
                                    "than the token lifetime");
}

token_provider::~token_provider() = default;

token token_provider::current() {
    std::lock_guard lock(impl_->mutex);
    const auto now = impl_->now();
    if (impl_->cached && impl_->cached->expires_at - now > impl_->options.renew_before)
        return *impl_->cached;

    // Whole seconds: iat/exp are NumericDate seconds.
    const auto now_s = std::chrono::time_point_cast<std::chrono::seconds>(now);
    token_claims claims;
    claims.key_id = impl_->options.key_id;
    claims.issuer_id = impl_->options.issuer_id;
    claims.audience = impl_->options.audience;
    claims.issued_at = (now_s - impl_->options.backdate).time_since_epoch().count();
    claims.expires_at = claims.issued_at + impl_->options.lifetime.count();
    claims.scope = impl_->options.scope;
    token t{sign_token(impl_->key, claims),
            std::chrono::system_clock::time_point(std::chrono::seconds(claims.expires_at))};
    impl_->cached = t;
    ++impl_->signed_count;
    return t;
}

std::string token_provider::authorization() {
    return "Bearer " + current().value;
}

void token_provider::set_clock_offset(std::chrono::seconds offset) {
    std::lock_guard lock(impl_->mutex);
    if (offset != impl_->clock_offset) {
        impl_->clock_offset = offset;
        impl_->cached.reset();
    }
}

std::chrono::seconds token_provider::clock_offset() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->clock_offset;
}

void token_provider::invalidate() {
    std::lock_guard lock(impl_->mutex);
    impl_->cached.reset();
}

std::uint64_t token_provider::tokens_signed() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->signed_count;
}

const token_options& token_provider::options() const noexcept {
    return impl_->options;
}

} // namespace ascpp::auth
