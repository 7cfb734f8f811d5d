// The ascpp-sim program: its help, its refusal of bad options, and a real run: it prints where it
// listens, serves a generated key's requests, and stops cleanly on SIGTERM and SIGINT.
#include <boost/test/unit_test.hpp>

#include "https_client.hpp"

#include <ascpp/auth/private_key.hpp>
#include <ascpp/auth/token_provider.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>

extern char** environ;

// The shared test PCH includes unit_test.hpp before a BOOST_TEST_MODULE could be defined, so
// there is no generated main: this is it (dynamic Boost.Test).
static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "sim_program_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace ascpp::test;

namespace {

fs::path program() {
    const char* dir = std::getenv("ASCPP_BIN_DIR");
    BOOST_TEST_REQUIRE(dir != nullptr);
    return fs::path(dir) / "ascpp-sim";
}

struct temp_dir {
    fs::path path;
    temp_dir() {
        path = fs::temp_directory_path() /
               ("ascpp-sim-program-test-" + std::to_string(::getpid()) + "-" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Starts the program with stdout and stderr redirected to `out`.
pid_t spawn(const std::vector<std::string>& args, const fs::path& out) {
    std::vector<char*> argv;
    std::string exe = program().string();
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    BOOST_TEST_REQUIRE(rc == 0);
    return pid;
}

// Waits (bounded: 30 s) for the process to exit; returns its exit status, or -1 (killed).
int wait_exit(pid_t pid) {
    for (int i = 0; i < 3000; ++i) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return -1;
}

int run(const std::vector<std::string>& args, const fs::path& out) {
    return wait_exit(spawn(args, out));
}

std::string bearer(const fs::path& p8, const std::string& key_id, const std::string& issuer) {
    auto key = ascpp::auth::private_key::load_file(p8);
    ascpp::auth::token_claims claims;
    claims.key_id = key_id;
    claims.issuer_id = issuer;
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    claims.issued_at = now - 30;
    claims.expires_at = now + 600;
    return "Bearer " + ascpp::auth::sign_token(key, claims);
}

} // namespace

BOOST_AUTO_TEST_CASE(help_documents_every_option) {
    temp_dir dir;
    auto out = dir.path / "help.txt";
    BOOST_TEST(run({"--help"}, out) == 0);
    auto text = read_file(out);
    for (auto option : {"--api-address",
                        "--api-port",
                        "--upload-address",
                        "--upload-port",
                        "--tls-cert",
                        "--tls-key",
                        "--upload-tls-cert",
                        "--upload-tls-key",
                        "--ca-file",
                        "--work-dir",
                        "--accept-key",
                        "--generate-key",
                        "--app",
                        "--part-size",
                        "--url-lifetime",
                        "--upload-processing-delay",
                        "--version-processing-delay",
                        "--release-processing-delay",
                        "--rate-limit",
                        "--rate-limit-window",
                        "--fault",
                        "--seed",
                        "--threads",
                        "--info-file"})
        BOOST_TEST(text.find(option) != std::string::npos, option);
}

BOOST_AUTO_TEST_CASE(refuses_bad_options) {
    temp_dir dir;
    auto out = dir.path / "out.txt";
    BOOST_TEST(run({"--fault", "*:http_error:2"}, out) != 0);
    BOOST_TEST(run({"--part-size", "lots"}, out) != 0);
    BOOST_TEST(run({"--tls-cert", "/nonexistent.pem"}, out) != 0);
    BOOST_TEST(run({"--no-such-option"}, out) != 0);
}

BOOST_AUTO_TEST_CASE(serves_a_generated_key_and_stops_on_signals) {
    for (int sig : {SIGTERM, SIGINT}) {
        temp_dir dir;
        auto out = dir.path / "out.txt";
        auto info_path = dir.path / "info.json";
        pid_t pid = spawn({"--generate-key", (dir.path / "keys").string(), "--info-file",
                           info_path.string(), "--work-dir", (dir.path / "work").string(), "--app",
                           "42", "--seed", "5", "--part-size", "64KiB", "--fault",
                           "upload_part:latency:0.5:10ms"},
                          out);
        // Bounded wait for the program to listen (it writes the info file once it does).
        for (int i = 0; i < 3000 && !fs::exists(info_path); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        BOOST_TEST_REQUIRE(fs::exists(info_path), read_file(out));
        auto info = json::parse(read_file(info_path)).as_object();
        auto api = std::string(info.at("apiUrl").as_string());
        auto ca = std::string(info.at("caFile").as_string());
        auto& key = info.at("keys").at(0).as_object();
        auto p8 = fs::path(std::string(key.at("privateKeyFile").as_string()));
        BOOST_TEST(fs::exists(p8));
        BOOST_TEST(((fs::status(p8).permissions() & fs::perms::group_read) == fs::perms::none));

        auto printed = read_file(out);
        BOOST_TEST(printed.find("ascpp-sim: API        " + api) != std::string::npos, printed);
        BOOST_TEST(printed.find(ca) != std::string::npos);
        BOOST_TEST(printed.find(std::string(key.at("keyId").as_string())) != std::string::npos);

        https_client client(ca);
        http_call call;
        call.url = api + "/v1/apps/42/backgroundAssets";
        call.headers = {{"Authorization", bearer(p8, std::string(key.at("keyId").as_string()),
                                                 std::string(key.at("issuerId").as_string()))}};
        auto r = client.send(call);
        BOOST_TEST(r.status == 200u, r.error << r.body);
        BOOST_TEST(!r.header("X-Rate-Limit").empty());
        call.headers.clear();
        auto unauth = client.send(call);
        BOOST_TEST(unauth.status == 401u);
        call.url = api + "/sim/stats";
        auto stats = client.send(call);
        BOOST_TEST(stats.status == 200u);
        BOOST_TEST(stats.json().at("requests").at("apps_backgroundAssets_getToManyRelated") ==
                   json::value(2));

        ::kill(pid, sig);
        BOOST_TEST(wait_exit(pid) == 0, read_file(out));
        BOOST_TEST(read_file(out).find("stopping") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(listens_on_the_ipv6_loopback) {
    temp_dir dir;
    auto out = dir.path / "out.txt";
    auto info_path = dir.path / "info.json";
    // Both spellings of an IPv6 address: bare and as in a URL.
    pid_t pid = spawn({"--api-address", "::1", "--upload-address", "[::1]", "--generate-key",
                       (dir.path / "keys").string(), "--info-file", info_path.string(),
                       "--work-dir", (dir.path / "work").string(), "--app", "42"},
                      out);
    for (int i = 0; i < 3000 && !fs::exists(info_path); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST_REQUIRE(fs::exists(info_path), read_file(out));
    auto info = json::parse(read_file(info_path)).as_object();
    auto api = std::string(info.at("apiUrl").as_string());
    auto upload = std::string(info.at("uploadUrl").as_string());
    BOOST_TEST(api.starts_with("https://[::1]:"), api);
    BOOST_TEST(upload.starts_with("https://[::1]:"), upload);
    BOOST_TEST(api != upload);

    auto& key = info.at("keys").at(0).as_object();
    https_client client(std::string(info.at("caFile").as_string()));
    http_call call;
    call.url = api + "/v1/apps/42/backgroundAssets";
    call.headers = {
        {"Authorization", bearer(fs::path(std::string(key.at("privateKeyFile").as_string())),
                                 std::string(key.at("keyId").as_string()),
                                 std::string(key.at("issuerId").as_string()))}};
    auto r = client.send(call);
    BOOST_TEST(r.status == 200u, r.error << r.body);

    ::kill(pid, SIGTERM);
    BOOST_TEST(wait_exit(pid) == 0, read_file(out));
}
