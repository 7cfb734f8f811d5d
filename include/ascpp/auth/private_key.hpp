// An App Store Connect API private key: the `.p8` file Apple issues (PKCS#8 PEM, EC P-256).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace ascpp::auth {

class private_key {
public:
    // Throw key_error (file_unreadable, not_pem, encrypted, malformed, not_ec, wrong_curve).
    static private_key load_file(const std::filesystem::path& p8_file);
    static private_key from_pem(std::string_view pem);
    // A fresh P-256 key (for tests and the simulator's create_api_key).
    static private_key generate();

    // ES256 over `data`: the JOSE signature, raw big-endian r || s, 64 bytes.
    std::string sign_es256(std::string_view data) const;

    // PKCS#8 PEM of the private key. This is the secret: only for writing a .p8 file.
    std::string to_pem() const;
    // SubjectPublicKeyInfo PEM of the public half.
    std::string public_key_pem() const;

    // The OpenSSL key (EVP_PKEY*), for callers that need it; owned by this object.
    void* native_handle() const noexcept;

    private_key(const private_key&) = default;
    private_key& operator=(const private_key&) = default;
    private_key(private_key&&) noexcept = default;
    private_key& operator=(private_key&&) noexcept = default;
    ~private_key();

private:
    struct impl;
    explicit private_key(std::shared_ptr<impl> p);
    std::shared_ptr<impl> impl_; // immutable once built: copies share it, threads may sign
};

// The public half of a P-256 key, to verify ES256 signatures (the simulator checks tokens).
class public_key {
public:
    // Throws key_error(invalid_public_key).
    static public_key from_pem(std::string_view spki_pem);
    // Whether `signature` (raw r || s, 64 bytes) is a valid ES256 signature of `data`.
    bool verify_es256(std::string_view data, std::span<const unsigned char> signature) const;
    bool verify_es256(std::string_view data, std::string_view signature) const;

private:
    struct impl;
    explicit public_key(std::shared_ptr<impl> p);
    std::shared_ptr<impl> impl_;
};

} // namespace ascpp::auth
