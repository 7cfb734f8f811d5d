#include <ascpp/sim/certificate_authority.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ascpp::sim {

namespace {

template <class T, void (*Free)(T*)>
struct openssl_deleter {
    void operator()(T* p) const noexcept { Free(p); }
};
template <class T, void (*Free)(T*)>
using openssl_ptr = std::unique_ptr<T, openssl_deleter<T, Free>>;

using pkey_ptr = openssl_ptr<EVP_PKEY, EVP_PKEY_free>;
using x509_ptr = openssl_ptr<X509, X509_free>;
using bio_ptr = openssl_ptr<BIO, BIO_free_all>;
using bn_ptr = openssl_ptr<BIGNUM, BN_free>;
using extension_ptr = openssl_ptr<X509_EXTENSION, X509_EXTENSION_free>;
using general_names_ptr = openssl_ptr<GENERAL_NAMES, GENERAL_NAMES_free>;
using general_name_ptr = openssl_ptr<GENERAL_NAME, GENERAL_NAME_free>;
using ia5_ptr = openssl_ptr<ASN1_IA5STRING, ASN1_IA5STRING_free>;

// The first queued OpenSSL reason (library errors only, never data) appended to `step`.
[[noreturn]] void fail(const std::string& step) {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    std::string message = "certificate authority: " + step + " failed";
    if (code != 0) {
        char reason[256];
        ERR_error_string_n(code, reason, sizeof reason);
        message += " (";
        message += reason;
        message += ")";
    }
    throw certificate_error(message);
}

void check(int ok, const char* step) {
    if (ok != 1)
        fail(step);
}

pkey_ptr generate_key() {
    pkey_ptr key(EVP_EC_gen("P-256"));
    if (!key)
        fail("generating a P-256 key");
    return key;
}

std::string to_pem(const X509* cert) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio)
        fail("allocating a memory BIO");
    check(PEM_write_bio_X509(bio.get(), cert), "writing a certificate as PEM");
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string to_pem(const EVP_PKEY* key) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio)
        fail("allocating a memory BIO");
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
          "writing a private key as PEM");
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

void set_time(ASN1_TIME* field, std::chrono::system_clock::time_point t, const char* step) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    if (!ASN1_TIME_set(field, static_cast<time_t>(seconds)))
        fail(step);
}

// A random positive 127-bit serial: unique enough that browsers and OpenSSL never see two
// certificates from one CA with the same serial.
void set_random_serial(X509* cert) {
    bn_ptr serial(BN_new());
    if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1)
        fail("drawing a serial number");
    if (!BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)))
        fail("setting the serial number");
}

void set_common_name(X509_NAME* name, const std::string& common_name) {
    if (common_name.empty() || common_name.size() > 64)
        throw certificate_error("certificate authority: a common name must have 1 to 64 bytes");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                     static_cast<int>(common_name.size()), -1, 0),
          "setting the common name");
}

// Adds an extension written in OpenSSL's configuration syntax; `value` is always a constant
// of this file, so no caller-controlled text is ever parsed here.
void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    extension_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext)
        fail(std::string("building extension ") + OBJ_nid2sn(nid));
    check(X509_add_ext(cert, ext.get(), -1), "adding an extension");
}

bool valid_dns_name(const std::string& name) {
    if (name.empty() || name.size() > 253)
        return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '*';
        if (!ok)
            return false;
    }
    return true;
}

// subjectAltName built from GENERAL_NAME values rather than a configuration string, so a name
// can never smuggle in extra entries.
void add_subject_alt_names(X509* cert, const std::vector<std::string>& dns_names,
                           const std::vector<std::string>& ip_addresses) {
    general_names_ptr names(GENERAL_NAMES_new());
    if (!names)
        fail("allocating subjectAltName");
    for (const auto& dns : dns_names) {
        if (!valid_dns_name(dns))
            throw certificate_error("certificate authority: not a DNS name: \"" + dns + "\"");
        ia5_ptr text(ASN1_IA5STRING_new());
        if (!text || !ASN1_STRING_set(text.get(), dns.data(), static_cast<int>(dns.size())))
            fail("encoding a DNS name");
        general_name_ptr name(GENERAL_NAME_new());
        if (!name)
            fail("allocating a subjectAltName entry");
        GENERAL_NAME_set0_value(name.get(), GEN_DNS, text.release());
        if (!sk_GENERAL_NAME_push(names.get(), name.get()))
            fail("adding a DNS name");
        name.release();
    }
    for (const auto& ip : ip_addresses) {
        ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
        if (!octets) {
            ERR_clear_error();
            throw certificate_error("certificate authority: not an IP address: \"" + ip + "\"");
        }
        general_name_ptr name(GENERAL_NAME_new());
        if (!name) {
            ASN1_OCTET_STRING_free(octets);
            fail("allocating a subjectAltName entry");
        }
        GENERAL_NAME_set0_value(name.get(), GEN_IPADD, octets);
        if (!sk_GENERAL_NAME_push(names.get(), name.get()))
            fail("adding an IP address");
        name.release();
    }
    check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT),
          "adding subjectAltName");
}

} // namespace

struct certificate_authority::impl {
    pkey_ptr key;
    x509_ptr cert;
    std::string certificate_pem;
    std::string private_key_pem;
};

certificate_authority::certificate_authority(std::shared_ptr<const impl> impl)
    : impl_(std::move(impl)) {}

certificate_authority certificate_authority::generate(std::string common_name) {
    auto now = std::chrono::system_clock::now();
    return generate(std::move(common_name), now - std::chrono::hours(24),
                    now + std::chrono::hours(24 * 3650));
}

certificate_authority
certificate_authority::generate(std::string common_name,
                                std::chrono::system_clock::time_point not_before,
                                std::chrono::system_clock::time_point not_after) {
    auto state = std::make_shared<impl>();
    state->key = generate_key();
    state->cert.reset(X509_new());
    X509* cert = state->cert.get();
    if (!cert)
        fail("allocating a certificate");
    check(X509_set_version(cert, X509_VERSION_3), "setting the version");
    set_random_serial(cert);
    set_common_name(X509_get_subject_name(cert), common_name);
    check(X509_set_issuer_name(cert, X509_get_subject_name(cert)), "setting the issuer");
    set_time(X509_getm_notBefore(cert), not_before, "setting notBefore");
    set_time(X509_getm_notAfter(cert), not_after, "setting notAfter");
    check(X509_set_pubkey(cert, state->key.get()), "setting the public key");
    add_extension(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(cert, cert, NID_subject_key_identifier, "hash");
    if (X509_sign(cert, state->key.get(), EVP_sha256()) <= 0)
        fail("signing the CA certificate");
    state->certificate_pem = to_pem(cert);
    state->private_key_pem = to_pem(state->key.get());
    return certificate_authority(std::move(state));
}

certificate_authority certificate_authority::from_pem(std::string_view certificate_pem,
                                                      std::string_view private_key_pem) {
    auto state = std::make_shared<impl>();
    {
        bio_ptr bio(
            BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
        if (!bio)
            fail("allocating a memory BIO");
        state->cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!state->cert)
            fail("reading the CA certificate PEM");
    }
    {
        bio_ptr bio(
            BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
        if (!bio)
            fail("allocating a memory BIO");
        // An empty passphrase callback result makes an encrypted key fail instead of prompting.
        state->key.reset(PEM_read_bio_PrivateKey(
            bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
        if (!state->key)
            fail("reading the CA private key PEM");
    }
    if (X509_check_private_key(state->cert.get(), state->key.get()) != 1)
        fail("matching the CA key to its certificate");
    if (X509_check_ca(state->cert.get()) == 0)
        throw certificate_error("certificate authority: the certificate is not a CA");
    state->certificate_pem = to_pem(state->cert.get());
    state->private_key_pem = to_pem(state->key.get());
    return certificate_authority(std::move(state));
}

const std::string& certificate_authority::certificate_pem() const noexcept {
    return impl_->certificate_pem;
}

const std::string& certificate_authority::private_key_pem() const noexcept {
    return impl_->private_key_pem;
}

certificate_authority::issued
certificate_authority::issue(const std::vector<std::string>& dns_names,
                             const std::vector<std::string>& ip_addresses) const {
    auto now = std::chrono::system_clock::now();
    return issue(dns_names, ip_addresses, now - std::chrono::hours(1),
                 now + std::chrono::hours(24 * 30));
}

certificate_authority::issued
certificate_authority::issue(const std::vector<std::string>& dns_names,
                             const std::vector<std::string>& ip_addresses,
                             std::chrono::system_clock::time_point not_before,
                             std::chrono::system_clock::time_point not_after) const {
    if (dns_names.empty() && ip_addresses.empty())
        throw certificate_error("certificate authority: a certificate needs a DNS name or an IP "
                                "address");
    pkey_ptr key = generate_key();
    x509_ptr leaf(X509_new());
    X509* cert = leaf.get();
    if (!cert)
        fail("allocating a certificate");
    check(X509_set_version(cert, X509_VERSION_3), "setting the version");
    set_random_serial(cert);
    set_common_name(X509_get_subject_name(cert),
                    !dns_names.empty() ? dns_names.front() : ip_addresses.front());
    check(X509_set_issuer_name(cert, X509_get_subject_name(impl_->cert.get())),
          "setting the issuer");
    set_time(X509_getm_notBefore(cert), not_before, "setting notBefore");
    set_time(X509_getm_notAfter(cert), not_after, "setting notAfter");
    check(X509_set_pubkey(cert, key.get()), "setting the public key");
    add_extension(cert, impl_->cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert, impl_->cert.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(cert, impl_->cert.get(), NID_ext_key_usage, "serverAuth");
    add_extension(cert, impl_->cert.get(), NID_subject_key_identifier, "hash");
    add_extension(cert, impl_->cert.get(), NID_authority_key_identifier, "keyid:always");
    add_subject_alt_names(cert, dns_names, ip_addresses);
    if (X509_sign(cert, impl_->key.get(), EVP_sha256()) <= 0)
        fail("signing a leaf certificate");
    return issued{to_pem(cert), to_pem(key.get())};
}

void certificate_authority::write_pem(const std::filesystem::path& path, std::string_view pem) {
    bool is_private = pem.find("PRIVATE KEY") != std::string_view::npos;
    int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, is_private ? 0600 : 0644);
    if (fd < 0)
        throw certificate_error("certificate authority: cannot create " + path.string() + ": " +
                                std::strerror(errno));
    std::size_t written = 0;
    while (written < pem.size()) {
        ssize_t n = ::write(fd, pem.data() + written, pem.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int error = errno;
            ::close(fd);
            throw certificate_error("certificate authority: cannot write " + path.string() + ": " +
                                    std::strerror(error));
        }
        written += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0)
        throw certificate_error("certificate authority: cannot write " + path.string() + ": " +
                                std::strerror(errno));
}

} // namespace ascpp::sim
