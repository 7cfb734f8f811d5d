#include "config.hpp"
#include "exit_code.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

namespace fs = std::filesystem;
using ascpp::cli::config_flags;
using ascpp::cli::resolve_config;
using ascpp::cli::usage_error;

namespace {

const std::string fake_pem =
    "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg\n"
    "-----END PRIVATE KEY-----\n";

struct fixture {
    fs::path dir;
    std::map<std::string, std::string> vars;

    fixture() {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("ascpp-cli-config-" + std::to_string(rd()));
        fs::create_directories(dir);
    }
    ~fixture() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    fs::path write(const std::string& name, const std::string& text) {
        auto p = dir / name;
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }
    ascpp::cli::env_lookup env() const {
        return [this](std::string_view name) -> std::optional<std::string> {
            auto it = vars.find(std::string(name));
            if (it == vars.end() || it->second.empty())
                return std::nullopt;
            return it->second;
        };
    }
    // Expects usage_error whose message contains every one of `needles`.
    void expect_error(const config_flags& flags, std::initializer_list<std::string> needles) {
        try {
            resolve_config(flags, env());
            BOOST_FAIL("resolve_config did not throw");
        } catch (const usage_error& e) {
            std::string what = e.what();
            for (const auto& n : needles)
                BOOST_TEST(what.find(n) != std::string::npos, "'" << n << "' in '" << what << "'");
            BOOST_TEST(what.find("MIGTAgEA") == std::string::npos); // never the key material
        }
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(config, fixture)

BOOST_AUTO_TEST_CASE(environment_alone_is_enough) {
    vars["ASC_KEY_ID"] = "2X9R4HXF34";
    vars["ASC_ISSUER_ID"] = "57246542-96fe-1a63-e053-0824d011072a";
    vars["ASC_PRIVATE_KEY_PATH"] = write("AuthKey.p8", fake_pem).string();
    auto c = resolve_config({}, env());
    BOOST_TEST(c.key_id == "2X9R4HXF34");
    BOOST_TEST(c.issuer_id.value() == "57246542-96fe-1a63-e053-0824d011072a");
    BOOST_TEST(c.private_key_pem == fake_pem);
    BOOST_TEST(c.api_url == "https://api.appstoreconnect.apple.com");
    BOOST_TEST(!c.ca_file.has_value());
    BOOST_TEST(c.private_key_origin.find("ASC_PRIVATE_KEY_PATH") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(flags_win_over_the_environment) {
    vars["ASC_KEY_ID"] = "ENVKEY";
    vars["ASC_ISSUER_ID"] = "env-issuer";
    vars["ASC_PRIVATE_KEY_PATH"] = (dir / "missing.p8").string();
    vars["ASC_API_URL"] = "https://env.example";
    config_flags f;
    f.key_id = "FLAGKEY";
    f.issuer_id = "flag-issuer";
    f.private_key_path = write("flag.p8", fake_pem).string();
    f.api_url = "https://127.0.0.1:8443/";
    f.ca_file =
        write("ca.pem", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n").string();
    auto c = resolve_config(f, env());
    BOOST_TEST(c.key_id == "FLAGKEY");
    BOOST_TEST(c.issuer_id.value() == "flag-issuer");
    BOOST_TEST(c.api_url == "https://127.0.0.1:8443"); // trailing slash dropped
    BOOST_TEST(c.ca_file.value() == fs::path(*f.ca_file));
}

BOOST_AUTO_TEST_CASE(individual_keys_have_no_issuer) {
    vars["ASC_KEY_ID"] = "K";
    vars["ASC_PRIVATE_KEY"] = fake_pem;
    auto c = resolve_config({}, env());
    BOOST_TEST(!c.issuer_id.has_value());
    BOOST_TEST(c.private_key_origin == "ASC_PRIVATE_KEY");
    BOOST_TEST(c.describe().find("individual key") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(pem_in_the_environment_with_escaped_newlines) {
    vars["ASC_KEY_ID"] = "K";
    std::string flattened;
    for (char ch : fake_pem)
        flattened += ch == '\n' ? std::string("\\n") : std::string(1, ch);
    vars["ASC_PRIVATE_KEY"] = flattened;
    BOOST_TEST(resolve_config({}, env()).private_key_pem == fake_pem);
}

BOOST_AUTO_TEST_CASE(key_path_wins_over_key_text) {
    vars["ASC_KEY_ID"] = "K";
    vars["ASC_PRIVATE_KEY"] = "-----BEGIN PRIVATE KEY-----\nOTHER\n-----END PRIVATE KEY-----\n";
    vars["ASC_PRIVATE_KEY_PATH"] = write("k.p8", fake_pem).string();
    BOOST_TEST(resolve_config({}, env()).private_key_pem == fake_pem);
}

BOOST_AUTO_TEST_CASE(missing_settings_are_named) {
    expect_error({}, {"key id", "--key-id", "ASC_KEY_ID"});
    vars["ASC_KEY_ID"] = "K";
    expect_error({}, {"private key", "--private-key", "ASC_PRIVATE_KEY_PATH", "ASC_PRIVATE_KEY"});
}

BOOST_AUTO_TEST_CASE(unreadable_key_file_is_named_with_its_source) {
    vars["ASC_KEY_ID"] = "K";
    config_flags f;
    f.private_key_path = (dir / "AuthKey_NOPE.p8").string();
    expect_error(f, {"AuthKey_NOPE.p8", "--private-key", "No such file"});
    vars["ASC_PRIVATE_KEY_PATH"] = dir.string();
    expect_error({}, {"ASC_PRIVATE_KEY_PATH", "directory"});
}

BOOST_AUTO_TEST_CASE(non_pem_keys_are_refused_without_echoing_them) {
    vars["ASC_KEY_ID"] = "K";
    vars["ASC_PRIVATE_KEY"] = "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg";
    expect_error({}, {"ASC_PRIVATE_KEY", "PEM"});
    config_flags f;
    f.private_key_path = write("garbage.p8", "MIGTAgEAMBMGByqGSM49").string();
    expect_error(f, {"garbage.p8", "not a PEM"});
    f.private_key_path = write("huge.p8", std::string(100 * 1024, 'A')).string();
    expect_error(f, {"huge.p8", "larger than"});
}

BOOST_AUTO_TEST_CASE(bad_urls_and_ca_files_are_named) {
    vars["ASC_KEY_ID"] = "K";
    vars["ASC_PRIVATE_KEY"] = fake_pem;
    vars["ASC_API_URL"] = "api.appstoreconnect.apple.com";
    expect_error({}, {"ASC_API_URL", "api.appstoreconnect.apple.com"});
    config_flags f;
    f.api_url = "ftp://example.com";
    expect_error(f, {"--api-url", "ftp://example.com"});
    vars.erase("ASC_API_URL");
    vars["ASC_CA_FILE"] = (dir / "nope-ca.pem").string();
    expect_error({}, {"CA file", "nope-ca.pem", "ASC_CA_FILE"});
    vars["ASC_CA_FILE"] = write("ca.txt", "hello").string();
    expect_error({}, {"ca.txt", "not a PEM"});
}

BOOST_AUTO_TEST_CASE(describe_holds_no_secret) {
    vars["ASC_KEY_ID"] = "K";
    vars["ASC_PRIVATE_KEY"] = fake_pem;
    auto d = resolve_config({}, env()).describe();
    BOOST_TEST(d.find("BEGIN") == std::string::npos);
    BOOST_TEST(d.find("MIGT") == std::string::npos);
    BOOST_TEST(d.find("key id K") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// The library's own entry points: the same resolution, with messages that name no flags.
BOOST_FIXTURE_TEST_SUITE(library_config, fixture)

BOOST_AUTO_TEST_CASE(library_messages_name_only_the_variables) {
    try {
        ascpp::api::resolve_client_config({}, env());
        BOOST_FAIL("resolve_config did not throw");
    } catch (const ascpp::api::config_error& e) {
        std::string what = e.what();
        BOOST_TEST(what.find("ASC_KEY_ID") != std::string::npos, what);
        BOOST_TEST(what.find("--") == std::string::npos, what);
    }
}

BOOST_AUTO_TEST_CASE(client_config_from_the_process_environment) {
    ::unsetenv("ASC_KEY_ID");
    BOOST_CHECK_THROW(ascpp::api::client_config::from_environment(), ascpp::api::config_error);
    ::setenv("ASC_KEY_ID", "2X9R4HXF34", 1);
    ::setenv("ASC_PRIVATE_KEY", "not a key", 1);
    ::unsetenv("ASC_PRIVATE_KEY_PATH");
    try {
        ascpp::api::client_config::from_environment();
        BOOST_FAIL("a malformed key was accepted");
    } catch (const ascpp::api::config_error& e) {
        BOOST_TEST(std::string(e.what()).find("ASC_PRIVATE_KEY") != std::string::npos, e.what());
    }
    ::unsetenv("ASC_KEY_ID");
    ::unsetenv("ASC_PRIVATE_KEY");
}

BOOST_AUTO_TEST_SUITE_END()
