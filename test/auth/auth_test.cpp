// ascpp::auth: keys, ES256 tokens checked by an independent implementation (PyJWT), caching.
#include <boost/test/unit_test.hpp>

#include <ascpp/auth/base64url.hpp>
#include <ascpp/auth/error.hpp>
#include <ascpp/auth/private_key.hpp>
#include <ascpp/auth/token_provider.hpp>

#include <boost/json/parse.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

// The shared test PCH includes unit_test.hpp before this file could define BOOST_TEST_MODULE, so
// the header generates no main: define it here (dynamic Boost.Test).
static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "auth_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace auth = ascpp::auth;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() /
               ("ascpp-auth-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path write(const std::string& name, std::string_view content) const {
        auto p = path / name;
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }
};

// Runs a command and returns its stdout; fails the test on a non-zero exit.
std::string run(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    BOOST_REQUIRE(pipe);
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe))
        out.append(buf, n);
    int status = ::pclose(pipe);
    BOOST_REQUIRE_MESSAGE(status == 0, "command failed: " << command << "\n" << out);
    return out;
}

// PyJWT verifies `token` with `public_pem` (ES256, audience appstoreconnect-v1) and prints the
// header and claims as JSON.
boost::json::object pyjwt_decode(const std::string& token, const std::string& public_pem,
                                 const temp_dir& dir) {
    auto token_file = dir.write("token.txt", token);
    auto key_file = dir.write("public.pem", public_pem);
    auto script = dir.write("decode.py", R"(import json, sys, jwt
token = open(sys.argv[1]).read().strip()
key = open(sys.argv[2]).read()
claims = jwt.decode(token, key, algorithms=["ES256"], audience="appstoreconnect-v1",
                    options={"require": ["exp", "iat", "aud"]})
print(json.dumps({"header": jwt.get_unverified_header(token), "claims": claims}))
)");
    auto out = run(std::string(ASCPP_SYSTEM_PYTHON) + " " + script.string() + " " +
                   token_file.string() + " " + key_file.string());
    return boost::json::parse(out).as_object();
}

std::string pem_of(EVP_PKEY* key, const EVP_CIPHER* cipher = nullptr) {
    BIO* bio = BIO_new(BIO_s_mem());
    char pass[] = "secret";
    PEM_write_bio_PKCS8PrivateKey(bio, key, cipher, cipher ? pass : nullptr, cipher ? 6 : 0,
                                  nullptr, nullptr);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
}

// The base64 body lines of a PEM, which must never appear in a message.
std::vector<std::string> pem_body_lines(const std::string& pem) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < pem.size()) {
        auto end = pem.find('\n', start);
        if (end == std::string::npos)
            end = pem.size();
        std::string line = pem.substr(start, end - start);
        if (!line.empty() && line.rfind("-----", 0) != 0 && line.size() > 16)
            lines.push_back(line.substr(0, 16));
        start = end + 1;
    }
    return lines;
}

boost::system::error_code load_error(std::string_view pem, std::string* message = nullptr) {
    try {
        auth::private_key::from_pem(pem);
    } catch (const auth::key_error& e) {
        if (message)
            *message = e.what();
        return e.code();
    }
    BOOST_FAIL("the key was accepted");
    return {};
}

auth::token_options options_for(std::string key_id, std::optional<std::string> issuer = {},
                                std::chrono::seconds lifetime = std::chrono::seconds(1200)) {
    auth::token_options o;
    o.key_id = std::move(key_id);
    o.issuer_id = std::move(issuer);
    o.lifetime = lifetime;
    return o;
}

} // namespace

BOOST_AUTO_TEST_CASE(base64url_vectors_and_rejections) {
    // RFC 4648 §10 vectors, unpadded and url-safe.
    BOOST_TEST(auth::base64url_encode(std::string_view("")) == "");
    BOOST_TEST(auth::base64url_encode(std::string_view("f")) == "Zg");
    BOOST_TEST(auth::base64url_encode(std::string_view("fo")) == "Zm8");
    BOOST_TEST(auth::base64url_encode(std::string_view("foo")) == "Zm9v");
    BOOST_TEST(auth::base64url_encode(std::string_view("foob")) == "Zm9vYg");
    BOOST_TEST(auth::base64url_encode(std::string_view("fooba")) == "Zm9vYmE");
    BOOST_TEST(auth::base64url_encode(std::string_view("foobar")) == "Zm9vYmFy");
    BOOST_TEST(auth::base64url_encode(std::string_view("\xfb\xff\xfe", 3)) == "-__-");
    BOOST_TEST(*auth::base64url_decode("-__-") == std::string("\xfb\xff\xfe", 3));
    BOOST_TEST(*auth::base64url_decode("Zm9vYmE") == "fooba");
    BOOST_TEST(*auth::base64url_decode("Zm9vYg==") == "foob");
    BOOST_TEST(!auth::base64url_decode("Zm9v+g").has_value()); // '+' is not url-safe
    BOOST_TEST(!auth::base64url_decode("Z").has_value());      // impossible length
    BOOST_TEST(!auth::base64url_decode("Zh").has_value());     // non-zero trailing bits
    std::string all;
    for (int i = 0; i < 256; ++i)
        all.push_back(static_cast<char>(i));
    for (std::size_t n = 0; n <= all.size(); n += 7)
        BOOST_TEST(*auth::base64url_decode(auth::base64url_encode(all.substr(0, n))) ==
                   all.substr(0, n));
}

BOOST_AUTO_TEST_CASE(signatures_are_raw_r_s_and_verify) {
    auto key = auth::private_key::generate();
    auto pub = auth::public_key::from_pem(key.public_key_pem());
    auto sig = key.sign_es256("header.payload");
    BOOST_TEST(sig.size() == 64u);
    BOOST_TEST(pub.verify_es256("header.payload", sig));
    BOOST_TEST(!pub.verify_es256("header.payloaD", sig));
    std::string tampered = sig;
    tampered[10] ^= 1;
    BOOST_TEST(!pub.verify_es256("header.payload", tampered));
    BOOST_TEST(!pub.verify_es256("header.payload", sig.substr(0, 63)));
    // A reloaded key signs verifiably too.
    auto again = auth::private_key::from_pem(key.to_pem());
    BOOST_TEST(pub.verify_es256("x", again.sign_es256("x")));
}

BOOST_AUTO_TEST_CASE(team_key_token_verifies_with_pyjwt) {
    temp_dir dir;
    auto key = auth::private_key::generate();
    auto p8 = dir.write("AuthKey_2X9R4HXF34.p8", key.to_pem());
    const auto fixed_now = std::chrono::system_clock::now();
    auth::token_options options;
    options.key_id = "2X9R4HXF34";
    options.issuer_id = "57246542-96fe-1a63-e053-0824d011072a";
    options.scope = {"GET /v1/apps/123/backgroundAssets"};
    options.clock = [fixed_now] { return fixed_now; };
    auth::token_provider provider(auth::private_key::load_file(p8), options);
    auto token = provider.current();

    auto decoded = pyjwt_decode(token.value, key.public_key_pem(), dir);
    const auto& header = decoded.at("header").as_object();
    const auto& claims = decoded.at("claims").as_object();
    BOOST_TEST(header.at("alg").as_string() == "ES256");
    BOOST_TEST(header.at("kid").as_string() == "2X9R4HXF34");
    BOOST_TEST(header.at("typ").as_string() == "JWT");
    BOOST_TEST(claims.at("iss").as_string() == "57246542-96fe-1a63-e053-0824d011072a");
    BOOST_TEST(!claims.contains("sub"));
    BOOST_TEST(claims.at("aud").as_string() == "appstoreconnect-v1");
    const auto now_s =
        std::chrono::duration_cast<std::chrono::seconds>(fixed_now.time_since_epoch()).count();
    const auto iat = claims.at("iat").as_int64();
    const auto exp = claims.at("exp").as_int64();
    BOOST_TEST(iat == now_s - 60); // back-dated for clock skew
    BOOST_TEST(exp - iat <= 1200);
    BOOST_TEST(exp > now_s);
    BOOST_TEST(claims.at("scope").as_array().size() == 1u);
    BOOST_TEST(claims.at("scope").as_array()[0].as_string() == "GET /v1/apps/123/backgroundAssets");
}

BOOST_AUTO_TEST_CASE(individual_key_token_has_sub_user_and_no_iss) {
    temp_dir dir;
    auto key = auth::private_key::generate();
    auth::token_provider provider(key, options_for("INDIVIDUAL1"));
    auto decoded = pyjwt_decode(provider.current().value, key.public_key_pem(), dir);
    const auto& claims = decoded.at("claims").as_object();
    BOOST_TEST(claims.at("sub").as_string() == "user");
    BOOST_TEST(!claims.contains("iss"));
    BOOST_TEST(!claims.contains("scope"));
}

BOOST_AUTO_TEST_CASE(pyjwt_rejects_a_token_signed_by_another_key) {
    // Guards the PyJWT check itself: it must be able to fail.
    temp_dir dir;
    auto key = auth::private_key::generate();
    auto other = auth::private_key::generate();
    auth::token_provider provider(key, options_for("K"));
    auto token_file = dir.write("token.txt", provider.current().value);
    auto key_file = dir.write("public.pem", other.public_key_pem());
    auto script = dir.write("decode.py", R"(import sys, jwt
try:
    jwt.decode(open(sys.argv[1]).read().strip(), open(sys.argv[2]).read(), algorithms=["ES256"],
               audience="appstoreconnect-v1")
    print("accepted")
except jwt.InvalidSignatureError:
    print("rejected")
)");
    auto out = run(std::string(ASCPP_SYSTEM_PYTHON) + " " + script.string() + " " +
                   token_file.string() + " " + key_file.string());
    BOOST_TEST(out == "rejected\n");
}

BOOST_AUTO_TEST_CASE(pyjwt_signed_token_verifies_with_our_public_key) {
    // The other direction: the simulator verifies tokens with public_key::verify_es256.
    temp_dir dir;
    auto key = auth::private_key::generate();
    auto key_file = dir.write("private.p8", key.to_pem());
    auto script = dir.write("sign.py", R"(import sys, jwt
print(jwt.encode({"iss": "x", "aud": "appstoreconnect-v1"}, open(sys.argv[1]).read(),
                 algorithm="ES256", headers={"kid": "K"}))
)");
    auto token =
        run(std::string(ASCPP_SYSTEM_PYTHON) + " " + script.string() + " " + key_file.string());
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
        token.pop_back();
    auto dot = token.rfind('.');
    BOOST_REQUIRE(dot != std::string::npos);
    auto signature = auth::base64url_decode(token.substr(dot + 1));
    BOOST_REQUIRE(signature.has_value());
    auto pub = auth::public_key::from_pem(key.public_key_pem());
    BOOST_TEST(pub.verify_es256(token.substr(0, dot), *signature));
}

BOOST_AUTO_TEST_CASE(bad_keys_give_typed_errors_without_key_material) {
    std::string message;

    BOOST_TEST((load_error("hello, not a key", &message) == auth::key_errc::not_pem));
    BOOST_TEST(message.find("PEM") != std::string::npos);

    EVP_PKEY* p384 = EVP_EC_gen("P-384");
    std::string p384_pem = pem_of(p384);
    EVP_PKEY_free(p384);
    BOOST_TEST((load_error(p384_pem, &message) == auth::key_errc::wrong_curve));
    BOOST_TEST(message.find("secp384r1") != std::string::npos, message);
    for (const auto& line : pem_body_lines(p384_pem))
        BOOST_TEST(message.find(line) == std::string::npos);

    EVP_PKEY* rsa = EVP_RSA_gen(1024);
    std::string rsa_pem = pem_of(rsa);
    EVP_PKEY_free(rsa);
    BOOST_TEST((load_error(rsa_pem, &message) == auth::key_errc::not_ec));

    auto good = auth::private_key::generate();
    std::string encrypted = pem_of(static_cast<EVP_PKEY*>(good.native_handle()), EVP_aes_128_cbc());
    BOOST_TEST(encrypted.find("ENCRYPTED") != std::string::npos);
    BOOST_TEST((load_error(encrypted, &message) == auth::key_errc::encrypted));

    std::string pem = good.to_pem();
    std::string truncated = pem.substr(0, pem.size() / 2) + "\n-----END PRIVATE KEY-----\n";
    BOOST_TEST((load_error(truncated, &message) == auth::key_errc::malformed));
    for (const auto& line : pem_body_lines(pem))
        BOOST_TEST(message.find(line) == std::string::npos);
    BOOST_TEST((load_error(pem.substr(0, pem.size() / 2)) == auth::key_errc::malformed));

    BOOST_TEST((load_error(good.public_key_pem(), &message) == auth::key_errc::not_pem));
    BOOST_TEST(message.find("PUBLIC KEY") != std::string::npos, message);

    try {
        auth::private_key::load_file("/nonexistent/AuthKey_X.p8");
        BOOST_FAIL("loaded a missing file");
    } catch (const auth::key_error& e) {
        BOOST_TEST((e.code() == auth::key_errc::file_unreadable));
        BOOST_TEST(std::string(e.what()).find("AuthKey_X.p8") != std::string::npos);
    }
    BOOST_CHECK_THROW(auth::public_key::from_pem(pem), auth::key_error);
}

BOOST_AUTO_TEST_CASE(tokens_are_cached_and_renewed_before_expiry) {
    auto key = auth::private_key::generate();
    std::atomic<std::int64_t> offset_s{0};
    const auto start = std::chrono::system_clock::now();
    auth::token_options options = options_for("K", "I");
    options.clock = [&] { return start + std::chrono::seconds(offset_s.load()); };
    auth::token_provider provider(key, options);

    auto first = provider.current();
    BOOST_TEST(provider.tokens_signed() == 1u);
    offset_s = 600;
    BOOST_TEST(provider.current().value == first.value); // still plenty of time left
    BOOST_TEST(provider.tokens_signed() == 1u);
    // exp = start - 60 + 1200; renewal is due with less than 120 s left.
    offset_s = 1200 - 60 - 119;
    auto second = provider.current();
    BOOST_TEST(second.value != first.value);
    BOOST_TEST(provider.tokens_signed() == 2u);
    BOOST_TEST(provider.authorization() == "Bearer " + second.value);
    provider.invalidate();
    BOOST_TEST(provider.current().value != second.value);
    BOOST_TEST(provider.tokens_signed() == 3u);
}

BOOST_AUTO_TEST_CASE(concurrent_callers_share_one_renewal) {
    auto key = auth::private_key::generate();
    std::atomic<std::int64_t> offset_s{0};
    const auto start = std::chrono::system_clock::now();
    auth::token_options options = options_for("K");
    options.clock = [&] { return start + std::chrono::seconds(offset_s.load()); };
    auth::token_provider provider(key, options);

    for (int round = 0; round < 3; ++round) {
        offset_s = round * 2000; // every round starts past the previous token's expiry
        std::vector<std::thread> threads;
        std::vector<std::string> seen(8);
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 50; ++i)
                    seen[t] = provider.current().value;
            });
        for (auto& th : threads)
            th.join();
        BOOST_TEST(provider.tokens_signed() == static_cast<std::uint64_t>(round + 1));
        for (const auto& s : seen)
            BOOST_TEST(s == seen[0]);
    }
}

BOOST_AUTO_TEST_CASE(invalid_options_are_refused) {
    auto key = auth::private_key::generate();
    BOOST_CHECK_THROW(auth::token_provider(key, {}), std::invalid_argument);
    BOOST_CHECK_THROW(auth::token_provider(key, options_for("K", {}, 1201s)),
                      std::invalid_argument);
    BOOST_CHECK_THROW(auth::token_provider(key, options_for("K", {}, 100s)), std::invalid_argument);
}
