#include <boost/test/unit_test.hpp>

#include <ascpp/sim/certificate_authority.hpp>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

// The shared test PCH includes unit_test.hpp before this file could define BOOST_TEST_MODULE, so
// the header generates no main: define it here (dynamic Boost.Test).
static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "certificate_authority_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

using ascpp::sim::certificate_authority;
using ascpp::sim::certificate_error;
using namespace std::chrono_literals;

namespace {

struct x509_free {
    void operator()(X509* x) const { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;

x509_ptr parse(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    return x509_ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// The X509_V_ERR_* verdict of OpenSSL's own chain verification of `leaf` against `ca` alone.
int verify(const std::string& ca_pem, const std::string& leaf_pem) {
    auto ca = parse(ca_pem);
    auto leaf = parse(leaf_pem);
    BOOST_REQUIRE(ca && leaf);
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                  &X509_STORE_free);
    X509_STORE_add_cert(store.get(), ca.get());
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                        &X509_STORE_CTX_free);
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
    X509_verify_cert(ctx.get());
    return X509_STORE_CTX_get_error(ctx.get());
}

} // namespace

BOOST_AUTO_TEST_CASE(issued_certificate_verifies_against_the_ca_and_names_its_hosts) {
    auto ca = certificate_authority::generate("ascpp test CA");
    BOOST_TEST(ca.certificate_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    BOOST_TEST(ca.private_key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));

    auto leaf = ca.issue({"localhost", "api.example.test"}, {"127.0.0.1", "::1"});
    BOOST_TEST(verify(ca.certificate_pem(), leaf.certificate_pem) == X509_V_OK);

    auto cert = parse(leaf.certificate_pem);
    BOOST_TEST(X509_check_host(cert.get(), "localhost", 0, 0, nullptr) == 1);
    BOOST_TEST(X509_check_host(cert.get(), "api.example.test", 0, 0, nullptr) == 1);
    BOOST_TEST(X509_check_host(cert.get(), "other.example.test", 0, 0, nullptr) == 0);
    BOOST_TEST(X509_check_ip_asc(cert.get(), "127.0.0.1", 0) == 1);
    BOOST_TEST(X509_check_ip_asc(cert.get(), "::1", 0) == 1);
    BOOST_TEST(X509_check_ip_asc(cert.get(), "127.0.0.2", 0) == 0);

    // The key returned is the one the certificate certifies.
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(leaf.private_key_pem.data(), static_cast<int>(leaf.private_key_pem.size())),
        &BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
    BOOST_REQUIRE(key);
    BOOST_TEST(X509_check_private_key(cert.get(), key.get()) == 1);
}

BOOST_AUTO_TEST_CASE(validity_window_is_honoured) {
    auto ca = certificate_authority::generate("ascpp test CA");
    auto now = std::chrono::system_clock::now();
    auto expired = ca.issue({"localhost"}, {}, now - 48h, now - 24h);
    BOOST_TEST(verify(ca.certificate_pem(), expired.certificate_pem) ==
               X509_V_ERR_CERT_HAS_EXPIRED);
    auto future = ca.issue({"localhost"}, {}, now + 24h, now + 48h);
    BOOST_TEST(verify(ca.certificate_pem(), future.certificate_pem) ==
               X509_V_ERR_CERT_NOT_YET_VALID);
}

BOOST_AUTO_TEST_CASE(another_ca_does_not_vouch_for_the_certificate) {
    auto ca = certificate_authority::generate("ascpp test CA");
    auto stranger = certificate_authority::generate("someone else");
    auto leaf = ca.issue({"localhost"}, {"127.0.0.1"});
    BOOST_TEST(verify(stranger.certificate_pem(), leaf.certificate_pem) != X509_V_OK);
}

BOOST_AUTO_TEST_CASE(a_ca_reloaded_from_pem_issues_certificates_the_original_vouches_for) {
    auto ca = certificate_authority::generate("ascpp test CA");
    auto again = certificate_authority::from_pem(ca.certificate_pem(), ca.private_key_pem());
    auto leaf = again.issue({"localhost"}, {});
    BOOST_TEST(verify(ca.certificate_pem(), leaf.certificate_pem) == X509_V_OK);

    auto other = certificate_authority::generate("someone else");
    BOOST_CHECK_THROW(
        certificate_authority::from_pem(ca.certificate_pem(), other.private_key_pem()),
        certificate_error);
    BOOST_CHECK_THROW(certificate_authority::from_pem("not a pem", ca.private_key_pem()),
                      certificate_error);
    auto leaf_as_ca = ca.issue({"localhost"}, {});
    BOOST_CHECK_THROW(
        certificate_authority::from_pem(leaf_as_ca.certificate_pem, leaf_as_ca.private_key_pem),
        certificate_error);
}

BOOST_AUTO_TEST_CASE(bad_names_are_refused) {
    auto ca = certificate_authority::generate("ascpp test CA");
    BOOST_CHECK_THROW(ca.issue({}, {}), certificate_error);
    BOOST_CHECK_THROW(ca.issue({"bad,DNS:evil.example"}, {}), certificate_error);
    BOOST_CHECK_THROW(ca.issue({}, {"not-an-ip"}), certificate_error);
    BOOST_CHECK_THROW(certificate_authority::generate(""), certificate_error);
}

BOOST_AUTO_TEST_CASE(write_pem_writes_private_keys_owner_only) {
    auto ca = certificate_authority::generate("ascpp test CA");
    auto leaf = ca.issue({"localhost"}, {});
    auto dir =
        std::filesystem::temp_directory_path() / ("ascpp-ca-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    certificate_authority::write_pem(dir / "cert.pem", leaf.certificate_pem);
    certificate_authority::write_pem(dir / "key.pem", leaf.private_key_pem);

    std::ifstream in(dir / "cert.pem");
    std::stringstream text;
    text << in.rdbuf();
    BOOST_TEST(text.str() == leaf.certificate_pem);
    struct stat st {};
    BOOST_REQUIRE(::stat((dir / "key.pem").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    BOOST_CHECK_THROW(certificate_authority::write_pem(dir / "missing" / "x.pem", "x"),
                      certificate_error);
    std::filesystem::remove_all(dir);
}
