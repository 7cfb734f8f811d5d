// Exit codes and messages for bad usage, bad configuration and an unreachable service: what a
// user sees before any request succeeds.
#include "cli_fixture.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

namespace json = boost::json;
using namespace ascpp::test;

BOOST_AUTO_TEST_SUITE(usage)

BOOST_AUTO_TEST_CASE(help_and_version_need_no_configuration) {
    auto r = run_process({program("ascpp"), "--version"});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out.starts_with("ascpp 0."));
    for (auto args : {std::vector<std::string>{"--help"},
                      {"publish", "--help"},
                      {"wait", "version", "--help"},
                      {"assets", "list", "-h"}}) {
        args.insert(args.begin(), program("ascpp"));
        r = run_process(args);
        BOOST_TEST(r.exit_code == 0);
        BOOST_TEST(contains(r.out, "Usage: ascpp"));
        BOOST_TEST(r.err.empty());
    }
}

BOOST_AUTO_TEST_CASE(bad_arguments_exit_2) {
    for (auto args : {std::vector<std::string>{},
                      {"assets", "list"},
                      {"nonsense"},
                      {"versions", "list", "--asset", "A", "--state", "DONE"},
                      {"wait", "version", "V", "--timeout", "soon"}}) {
        args.insert(args.begin(), program("ascpp"));
        auto r = run_process(args);
        BOOST_TEST(r.exit_code == 2, r.err);
        BOOST_TEST(contains(r.err, "ascpp: "));
        BOOST_TEST(r.out.empty());
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(configuration, cli_fixture)

BOOST_AUTO_TEST_CASE(missing_key_is_named_and_exits_2) {
    auto r = ascpp({"assets", "list", "--app", app_id}, {{"ASC_PRIVATE_KEY_PATH", ""}});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "--private-key"));
    BOOST_TEST(contains(r.err, "ASC_PRIVATE_KEY_PATH"));

    r = ascpp({"assets", "list", "--app", app_id}, {{"ASC_KEY_ID", ""}});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "ASC_KEY_ID"));

    r = ascpp({"assets", "list", "--app", app_id, "--output", "json"},
              {{"ASC_PRIVATE_KEY_PATH", (dir / "AuthKey_MISSING.p8").string()}});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "AuthKey_MISSING.p8"));
    auto doc = json::parse(r.out);
    BOOST_TEST(doc.at("error").at("exitCode").as_int64() == 2);
}

BOOST_AUTO_TEST_CASE(a_key_that_is_not_a_p256_key_exits_2_without_echoing_it) {
    auto bad = dir / "rsa.p8";
    // PEM armour around something that is not PKCS#8.
    std::ofstream(bad) << "-----BEGIN PRIVATE KEY-----\nTUlHVEFnRUFNQk1HQnlxR1NNNDlBZ0VH\n"
                          "-----END PRIVATE KEY-----\n";
    auto r = ascpp({"assets", "list", "--app", app_id}, {{"ASC_PRIVATE_KEY_PATH", bad.string()}});
    BOOST_TEST(r.exit_code == 2, r.err);
    BOOST_TEST(contains(r.err, "private key"));
    BOOST_TEST(!contains(r.err, "TUlHVEFn"));
}

BOOST_AUTO_TEST_CASE(pem_in_the_environment_and_flags_work) {
    std::map<std::string, std::string> e{{"ASC_PRIVATE_KEY_PATH", ""},
                                         {"ASC_PRIVATE_KEY", key.private_key_pem}};
    auto r = ascpp({"assets", "list", "--app", app_id}, e);
    BOOST_TEST(r.exit_code == 0, r.err);

    // Flags alone, with an empty environment.
    r = ascpp({"--key-id", key.key_id, "--issuer-id", key.issuer_id, "--private-key",
               key_file.string(), "--api-url", sim.api_url(), "--ca-file", sim.ca_file().string(),
               "assets", "list", "--app", app_id},
              {{"ASC_KEY_ID", ""},
               {"ASC_ISSUER_ID", ""},
               {"ASC_PRIVATE_KEY_PATH", ""},
               {"ASC_API_URL", ""},
               {"ASC_CA_FILE", ""}});
    BOOST_TEST(r.exit_code == 0, r.err);
}

BOOST_AUTO_TEST_CASE(wrong_key_id_is_an_api_error) {
    auto r = ascpp({"assets", "list", "--app", app_id}, {{"ASC_KEY_ID", "WRONGKEY01"}});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "401"));
    BOOST_TEST(contains(r.err, "NOT_AUTHORIZED"));
    BOOST_TEST(contains(r.err, "key id"));
}

BOOST_AUTO_TEST_CASE(untrusted_certificate_suggests_the_ca_file) {
    auto r = ascpp({"assets", "list", "--app", app_id}, {{"ASC_CA_FILE", ""}});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "--ca-file"));
}

BOOST_AUTO_TEST_CASE(unreachable_service_exits_1) {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    auto r = ascpp({"assets", "list", "--app", app_id}, {{"ASC_API_URL", "https://127.0.0.1:1"}});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "127.0.0.1"));
    BOOST_TEST(contains(r.err, "reachable"));
}

BOOST_AUTO_TEST_CASE(verbose_never_prints_secrets_and_quiet_prints_nothing) {
    auto r = ascpp({"--verbose", "assets", "list", "--app", app_id});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.err, key.key_id));
    BOOST_TEST(contains(r.err, "API request"));
    BOOST_TEST(!contains(r.err, "BEGIN"));
    BOOST_TEST(!contains(r.err, "eyJ")); // the start of every JWT
    BOOST_TEST(!contains(r.out + r.err, key.private_key_pem.substr(40, 20)));

    auto pack = make_file("q.aar", 2 * 1024 * 1024);
    r = ascpp({"--quiet", "publish", "--app", app_id, "--identifier", "Quiet", "--archive",
               pack.string(), "--wait"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.err.empty());
}

BOOST_AUTO_TEST_SUITE_END()
