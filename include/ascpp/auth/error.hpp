// Typed errors of the auth layer. Messages name the problem, never key material or tokens.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string>
#include <type_traits>

namespace ascpp::auth {

enum class key_errc {
    file_unreadable = 1, // the .p8 file could not be opened or read
    not_pem,             // no "-----BEGIN PRIVATE KEY-----" PEM block
    encrypted,           // an encrypted PEM (App Store Connect keys are not encrypted)
    malformed,           // PEM armour present but the content is truncated or not PKCS#8
    not_ec,              // a private key, but not an elliptic-curve one (e.g. RSA)
    wrong_curve,         // an EC key on a curve other than P-256 (prime256v1)
    signing_failed,      // OpenSSL failed to sign (should not happen with a valid key)
    invalid_public_key,  // a public key PEM that is not a P-256 SubjectPublicKeyInfo
};

const boost::system::error_category& key_category() noexcept;

inline boost::system::error_code make_error_code(key_errc e) noexcept {
    return {static_cast<int>(e), key_category()};
}

class key_error : public boost::system::system_error {
public:
    key_error(key_errc e, const std::string& what) : system_error(make_error_code(e), what) {}
};

} // namespace ascpp::auth

namespace boost::system {
template <>
struct is_error_code_enum<ascpp::auth::key_errc> : std::true_type {};
} // namespace boost::system
