#include <ascpp/auth/error.hpp>

#include "../detail/error_category.hpp"

namespace ascpp::auth {
namespace {

std::string describe(key_errc e) {
    switch (e) {
    case key_errc::file_unreadable:
        return "the key file could not be read";
    case key_errc::not_pem:
        return "not a PEM private key";
    case key_errc::encrypted:
        return "the private key is encrypted";
    case key_errc::malformed:
        return "the PEM private key is truncated or malformed";
    case key_errc::not_ec:
        return "not an elliptic-curve (EC) key";
    case key_errc::wrong_curve:
        return "not a P-256 (prime256v1) key";
    case key_errc::signing_failed:
        return "ES256 signing failed";
    case key_errc::invalid_public_key:
        return "not a P-256 public key";
    }
    return "unknown key error";
}

} // namespace

const boost::system::error_category& key_category() noexcept {
    static const ascpp::detail::enum_category<key_errc> instance("ascpp.auth.key", describe);
    return instance;
}

} // namespace ascpp::auth
