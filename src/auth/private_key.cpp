#include <ascpp/auth/error.hpp>
#include <ascpp/auth/private_key.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

namespace ascpp::auth {
namespace {

struct pkey_deleter {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;

struct bio_deleter {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

// Never let OpenSSL prompt on a terminal for a passphrase: an encrypted key is an error.
int refuse_passphrase(char*, int, int, void*) {
    return -1;
}

bio_ptr memory_bio(std::string_view data) {
    if (data.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw key_error(key_errc::malformed, "private key: input too large");
    bio_ptr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    if (!bio)
        throw std::bad_alloc();
    return bio;
}

std::string read_bio(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

// OpenSSL's queued errors describe where parsing failed, not the key; drop them so they do not
// leak into an unrelated later failure report.
struct clear_errors_on_exit {
    ~clear_errors_on_exit() { ERR_clear_error(); }
};

// Checks that `key` is an EC key on P-256; `what` names the key in messages.
void require_p256(EVP_PKEY* key, key_errc wrong_type, const char* what) {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
        throw key_error(wrong_type == key_errc::invalid_public_key ? wrong_type : key_errc::not_ec,
                        std::string(what) + " is not an elliptic-curve key (App Store Connect "
                                            "keys are EC P-256)");
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) != 1 ||
        std::string_view(group, len) != "prime256v1")
        throw key_error(wrong_type == key_errc::invalid_public_key ? wrong_type
                                                                   : key_errc::wrong_curve,
                        std::string(what) + " uses curve " +
                            (len ? std::string(group, len) : std::string("(unknown)")) +
                            ", not P-256 (prime256v1)");
}

struct sig_deleter {
    void operator()(ECDSA_SIG* s) const noexcept { ECDSA_SIG_free(s); }
};
struct md_ctx_deleter {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

} // namespace

struct private_key::impl {
    pkey_ptr key;
};

struct public_key::impl {
    pkey_ptr key;
};

private_key::private_key(std::shared_ptr<impl> p) : impl_(std::move(p)) {}
private_key::~private_key() = default;

private_key private_key::load_file(const std::filesystem::path& p8_file) {
    std::ifstream in(p8_file, std::ios::binary);
    if (!in)
        throw key_error(key_errc::file_unreadable,
                        "cannot open the private key file " + p8_file.string());
    // A .p8 is a few hundred bytes; refuse anything absurd instead of reading it whole.
    constexpr std::size_t max_size = 64 * 1024;
    std::string pem;
    pem.resize(max_size + 1);
    in.read(pem.data(), static_cast<std::streamsize>(pem.size()));
    if (in.bad())
        throw key_error(key_errc::file_unreadable,
                        "cannot read the private key file " + p8_file.string());
    pem.resize(static_cast<std::size_t>(in.gcount()));
    if (pem.size() > max_size)
        throw key_error(key_errc::not_pem, "the private key file " + p8_file.string() +
                                               " is too large to be a .p8 key");
    try {
        return from_pem(pem);
    } catch (const key_error& e) {
        throw key_error(static_cast<key_errc>(e.code().value()),
                        p8_file.string() + ": " + e.code().message());
    }
}

private_key private_key::from_pem(std::string_view pem) {
    clear_errors_on_exit clear;
    if (pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
        pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos)
        throw key_error(key_errc::encrypted, "the private key is encrypted; App Store Connect "
                                             ".p8 keys are plain PKCS#8 PEM");
    auto begin = pem.find("-----BEGIN ");
    if (begin == std::string_view::npos)
        throw key_error(key_errc::not_pem, "not a PEM private key (no -----BEGIN PRIVATE KEY----- "
                                           "line); expected the .p8 file from App Store Connect");
    auto label_end = pem.find("-----", begin + 11);
    std::string_view label = label_end == std::string_view::npos
                                 ? std::string_view{}
                                 : pem.substr(begin + 11, label_end - (begin + 11));
    if (label != "PRIVATE KEY" && label != "EC PRIVATE KEY")
        throw key_error(key_errc::not_pem, "expected a PRIVATE KEY PEM block, found " +
                                               (label.size() < 40 ? "\"" + std::string(label) + "\""
                                                                  : std::string("another block")));

    auto bio = memory_bio(pem);
    pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
    if (!key)
        throw key_error(key_errc::malformed,
                        "the PEM private key is truncated or malformed (not a PKCS#8 key)");
    require_p256(key.get(), key_errc::not_ec, "the private key");
    auto p = std::make_shared<impl>();
    p->key = std::move(key);
    return private_key(std::move(p));
}

private_key private_key::generate() {
    clear_errors_on_exit clear;
    pkey_ptr key(EVP_EC_gen("P-256"));
    if (!key)
        throw key_error(key_errc::signing_failed, "could not generate a P-256 key");
    auto p = std::make_shared<impl>();
    p->key = std::move(key);
    return private_key(std::move(p));
}

std::string private_key::sign_es256(std::string_view data) const {
    clear_errors_on_exit clear;
    std::unique_ptr<EVP_MD_CTX, md_ctx_deleter> ctx(EVP_MD_CTX_new());
    if (!ctx ||
        EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->key.get()) != 1)
        throw key_error(key_errc::signing_failed, "ES256: cannot initialise signing");
    std::size_t der_len = 0;
    auto in = reinterpret_cast<const unsigned char*>(data.data());
    if (EVP_DigestSign(ctx.get(), nullptr, &der_len, in, data.size()) != 1)
        throw key_error(key_errc::signing_failed, "ES256: cannot size the signature");
    std::string der(der_len, '\0');
    auto der_out = reinterpret_cast<unsigned char*>(der.data());
    if (EVP_DigestSign(ctx.get(), der_out, &der_len, in, data.size()) != 1)
        throw key_error(key_errc::signing_failed, "ES256: signing failed");

    // OpenSSL emits a DER ECDSA-Sig-Value; JOSE wants r and s as two 32-byte big-endian numbers.
    const unsigned char* p = der_out;
    std::unique_ptr<ECDSA_SIG, sig_deleter> sig(
        d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
    if (!sig)
        throw key_error(key_errc::signing_failed, "ES256: cannot parse the DER signature");
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    std::string raw(64, '\0');
    auto raw_out = reinterpret_cast<unsigned char*>(raw.data());
    if (BN_bn2binpad(r, raw_out, 32) != 32 || BN_bn2binpad(s, raw_out + 32, 32) != 32)
        throw key_error(key_errc::signing_failed, "ES256: signature component too large");
    return raw;
}

std::string private_key::to_pem() const {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1)
        throw key_error(key_errc::signing_failed, "cannot encode the private key");
    return read_bio(bio.get());
}

std::string private_key::public_key_pem() const {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), impl_->key.get()) != 1)
        throw key_error(key_errc::signing_failed, "cannot encode the public key");
    return read_bio(bio.get());
}

void* private_key::native_handle() const noexcept {
    return impl_->key.get();
}

public_key::public_key(std::shared_ptr<impl> p) : impl_(std::move(p)) {}

public_key public_key::from_pem(std::string_view spki_pem) {
    clear_errors_on_exit clear;
    auto bio = memory_bio(spki_pem);
    pkey_ptr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, refuse_passphrase, nullptr));
    if (!key)
        throw key_error(key_errc::invalid_public_key,
                        "not a PEM public key (-----BEGIN PUBLIC KEY-----)");
    require_p256(key.get(), key_errc::invalid_public_key, "the public key");
    auto p = std::make_shared<impl>();
    p->key = std::move(key);
    return public_key(std::move(p));
}

bool public_key::verify_es256(std::string_view data,
                              std::span<const unsigned char> signature) const {
    clear_errors_on_exit clear;
    if (signature.size() != 64)
        return false;
    std::unique_ptr<ECDSA_SIG, sig_deleter> sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(signature.data(), 32, nullptr);
    BIGNUM* s = BN_bin2bn(signature.data() + 32, 32, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return false;
    }
    unsigned char* der = nullptr;
    int der_len = i2d_ECDSA_SIG(sig.get(), &der);
    if (der_len <= 0)
        return false;
    std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(
        der, [](unsigned char* d) { OPENSSL_free(d); });
    std::unique_ptr<EVP_MD_CTX, md_ctx_deleter> ctx(EVP_MD_CTX_new());
    if (!ctx ||
        EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->key.get()) != 1)
        return false;
    return EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

bool public_key::verify_es256(std::string_view data, std::string_view signature) const {
    return verify_es256(
        data, std::span<const unsigned char>(
                  reinterpret_cast<const unsigned char*>(signature.data()), signature.size()));
}

} // namespace ascpp::auth
