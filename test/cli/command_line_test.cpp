#include "command_line.hpp"
#include "exit_code.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace ascpp::cli;
using namespace std::chrono_literals;

namespace {

struct parsed {
    std::variant<invocation, int> result;
    std::string out, err;

    bool ok() const { return std::holds_alternative<invocation>(result); }
    const invocation& inv() const { return std::get<invocation>(result); }
    int code() const { return std::get<int>(result); }
};

parsed parse(std::vector<std::string> args) {
    args.insert(args.begin(), "ascpp");
    std::vector<const char*> argv;
    for (auto& a : args)
        argv.push_back(a.c_str());
    std::ostringstream out, err;
    auto r = parse_command_line(static_cast<int>(argv.size()), argv.data(), out, err);
    return {std::move(r), out.str(), err.str()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(global_options_go_before_or_after_the_command) {
    for (auto args : {std::vector<std::string>{"--output", "json", "--key-id", "K", "assets",
                                               "list", "--app", "1"},
                      std::vector<std::string>{"assets", "list", "--app", "1", "-o", "json",
                                               "--key-id", "K"}}) {
        auto p = parse(args);
        BOOST_REQUIRE(p.ok());
        BOOST_TEST((p.inv().cmd == command::assets_list));
        BOOST_TEST((p.inv().global.output == output_format::json));
        BOOST_TEST(p.inv().global.config.key_id.value() == "K");
        BOOST_TEST(p.inv().args.app == "1");
    }
}

BOOST_AUTO_TEST_CASE(every_command_is_reachable) {
    auto pack = std::string(ASCPP_SOURCE_FILE); // an existing file for FILE arguments
    struct c {
        std::vector<std::string> args;
        command expected;
    };
    std::vector<c> cases{
        {{"assets", "list", "--app", "1"}, command::assets_list},
        {{"assets", "create", "--app", "1", "--identifier", "T"}, command::assets_create},
        {{"assets", "get", "A"}, command::assets_get},
        {{"assets", "archive", "A"}, command::assets_archive},
        {{"assets", "unarchive", "A"}, command::assets_unarchive},
        {{"versions", "list", "--asset", "A"}, command::versions_list},
        {{"versions", "create", "--asset", "A"}, command::versions_create},
        {{"versions", "get", "V"}, command::versions_get},
        {{"files", "list", "--version", "V"}, command::files_list},
        {{"files", "get", "F"}, command::files_get},
        {{"upload", "--version", "V", "--type", "asset", pack}, command::upload},
        {{"publish", "--app", "1", "--identifier", "T", "--archive", pack}, command::publish},
        {{"wait", "version", "V"}, command::wait_version},
        {{"wait", "file", "F"}, command::wait_file},
        {{"wait", "release", "R"}, command::wait_release},
        {{"releases", "get", "--version", "V"}, command::releases_get},
        {{"batch", pack}, command::batch},
    };
    for (const auto& k : cases) {
        auto p = parse(k.args);
        BOOST_TEST_CONTEXT(k.args[0] << " " << k.args[1]) {
            BOOST_REQUIRE_MESSAGE(p.ok(), p.err);
            BOOST_TEST((p.inv().cmd == k.expected));
        }
    }
}

BOOST_AUTO_TEST_CASE(options_are_converted) {
    auto p = parse({"versions", "list", "--asset", "A", "--state", "processing,FAILED", "--state",
                    "complete", "--sort=-version"});
    BOOST_REQUIRE(p.ok());
    BOOST_TEST(
        (p.inv().args.states == std::vector<std::string>{"PROCESSING", "FAILED", "COMPLETE"}));
    BOOST_TEST(p.inv().args.sort.value() == "-version");

    p = parse({"assets", "list", "--app", "1", "--archived", "FALSE"});
    BOOST_REQUIRE(p.ok());
    BOOST_TEST(p.inv().args.archived.value() == false);

    p = parse({"publish", "--app", "1", "--identifier", "T", "--archive", ASCPP_SOURCE_FILE,
               "--until", "app-store", "--timeout", "1h30m", "--concurrency", "4"});
    BOOST_REQUIRE(p.ok());
    BOOST_TEST(p.inv().args.wait); // --until implies --wait
    BOOST_TEST((p.inv().args.until.value() == release_channel::app_store));
    BOOST_TEST((p.inv().args.timeout.value() == std::chrono::milliseconds(90min)));
    BOOST_TEST(p.inv().global.concurrency.value() == 4u);

    p = parse({"upload", "--version", "V", "--type", "manifest", ASCPP_SOURCE_FILE});
    BOOST_REQUIRE(p.ok());
    BOOST_TEST(p.inv().args.asset_type == "MANIFEST");

    p = parse(
        {"wait", "release", "R", "--channel", "app-store", "--state", "ready_for_distribution"});
    BOOST_REQUIRE(p.ok());
    BOOST_TEST((p.inv().args.channel == release_channel::app_store));
}

BOOST_AUTO_TEST_CASE(help_and_version_exit_zero) {
    auto p = parse({"--version"});
    BOOST_TEST(p.code() == 0);
    BOOST_TEST(p.out.starts_with("ascpp "));
    for (auto args : {std::vector<std::string>{"--help"},
                      {"assets", "--help"},
                      {"assets", "list", "--help"},
                      {"publish", "-h"},
                      {"wait", "release", "--help"},
                      {"batch", "--help"}}) {
        auto h = parse(args);
        BOOST_TEST_CONTEXT(args.front()) {
            BOOST_TEST(h.code() == 0);
            BOOST_TEST(h.out.find("Usage: ascpp") != std::string::npos);
            BOOST_TEST(h.err.empty());
        }
    }
    BOOST_TEST(parse({"publish", "--help"}).out.find("--archive") != std::string::npos);
    BOOST_TEST(parse({"publish", "--help"}).out.find("--concurrency") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_usage_exits_2_and_says_what_is_wrong) {
    struct c {
        std::vector<std::string> args;
        std::string needle;
    };
    std::vector<c> cases{
        {{}, "subcommand"},
        {{"assets"}, "subcommand"},
        {{"assets", "list"}, "--app"},
        {{"assets", "frobnicate"}, "frobnicate"},
        {{"assets", "list", "--app", "1", "--archived", "maybe"}, "maybe"},
        {{"versions", "list", "--asset", "A", "--state", "DONE"}, "DONE"},
        {{"versions", "list", "--asset", "A", "--sort", "date"}, "date"},
        {{"upload", "--version", "V", "--type", "ARCHIVE", ASCPP_SOURCE_FILE}, "ARCHIVE"},
        {{"upload", "--version", "V", "--type", "ASSET", "/nonexistent/pack.aar"}, "pack.aar"},
        {{"publish", "--app", "1", "--identifier", "T", "--archive", ASCPP_SOURCE_FILE, "--timeout",
          "soon"},
         "--timeout"},
        {{"publish", "--app", "1", "--identifier", "T", "--archive", ASCPP_SOURCE_FILE, "--timeout",
          "0s"},
         "--timeout"},
        {{"--concurrency", "0", "assets", "get", "A"}, "concurrency"},
        {{"--output", "yaml", "assets", "get", "A"}, "yaml"},
        {{"wait", "release", "R", "--channel", "app-store", "--state", "READY_FOR_TESTING"},
         "READY_FOR_TESTING"},
        {{"-q", "-v", "assets", "get", "A"}, "--quiet"},
    };
    for (const auto& k : cases) {
        auto p = parse(k.args);
        BOOST_TEST_CONTEXT("args " << (k.args.empty() ? "" : k.args.back())) {
            BOOST_REQUIRE(!p.ok());
            BOOST_TEST(p.code() == static_cast<int>(exit_code::usage));
            BOOST_TEST(p.err.find(k.needle) != std::string::npos, p.err);
            BOOST_TEST(p.out.empty());
        }
    }
    // The hint names the command whose help to read.
    BOOST_TEST(parse({"assets", "list"}).err.find("ascpp assets list --help") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
