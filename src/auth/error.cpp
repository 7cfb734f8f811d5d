#include <ascpp/auth/error.hpp>

namespace ascpp::auth {
namespace {

class key_category_impl : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "ascpp.auth.key"; }
    std::string message(int ev) const override {
        switch (static_cast<key_errc>(ev)) {
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
};

} // namespace

const boost::system::error_category& key_category() noexcept {
    static const key_category_impl category;
    return category;
}

} // namespace ascpp::auth
