// ascpp publish --webhook-listen and ascpp webhook listen, with the simulator delivering its
// state changes over TLS to the command.
#include "cli_fixture.hpp"

#include <ascpp/sim/certificate_authority.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace ascpp::test;
using namespace std::chrono_literals;

namespace {

// A CA the simulator trusts for webhook URLs, and a certificate of it for the command.
struct webhook_pki {
    fs::path dir;
    webhook_pki() {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("ascpp-cli-webhook-" + std::to_string(rd()));
        fs::create_directories(dir);
        auto ca = ascpp::sim::certificate_authority::generate("cli webhook CA");
        auto leaf = ca.issue({"localhost"}, {"127.0.0.1"});
        ascpp::sim::certificate_authority::write_pem(dir / "ca.pem", ca.certificate_pem());
        ascpp::sim::certificate_authority::write_pem(dir / "cert.pem", leaf.certificate_pem);
        ascpp::sim::certificate_authority::write_pem(dir / "key.pem", leaf.private_key_pem);
        std::ofstream(dir / "secret") << "cli-secret\n";
    }
    ~webhook_pki() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    ascpp::sim::simulator_options sim_options() const {
        auto o = cli_fixture::default_options();
        o.webhook_ca_file = dir / "ca.pem";
        o.webhook_retry_delay = 100ms;
        return o;
    }
};

// A port free now (the command binds it a moment later).
unsigned short free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

std::vector<std::string> webhook_flags(const webhook_pki& p, unsigned short port) {
    return {"--webhook-listen",      "127.0.0.1:" + std::to_string(port),
            "--webhook-secret-file", (p.dir / "secret").string(),
            "--webhook-cert",        (p.dir / "cert.pem").string(),
            "--webhook-key",         (p.dir / "key.pem").string()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(webhooks)

BOOST_AUTO_TEST_CASE(publish_wait_wakes_on_the_delivery) {
    webhook_pki pki;
    cli_fixture f(pki.sim_options());
    const auto port = free_port();
    ascpp::sim::webhook_config hook;
    hook.url = "https://127.0.0.1:" + std::to_string(port) + "/";
    hook.secret = "cli-secret";
    f.sim.add_webhook(hook);
    auto pack = f.make_file("Hooked.aar", 1024 * 1024 + 5);
    std::vector<std::string> args = {"publish",
                                     "--app",
                                     app_id,
                                     "--identifier",
                                     "Hooked",
                                     "--archive",
                                     pack.string(),
                                     "--wait",
                                     "--timeout",
                                     "60s",
                                     "--webhook-fallback-poll",
                                     "10m",
                                     "--output",
                                     "json"};
    for (auto& s : webhook_flags(pki, port))
        args.push_back(s);
    auto r = f.ascpp(args);
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    auto doc = json::parse(r.out);
    BOOST_TEST(str(doc, {"versionState"}) == "COMPLETE");
    // Lookup, create pack, create version, reserve, commit: no poll.
    BOOST_TEST(doc.at("apiRequests").as_int64() == 5);
}

BOOST_AUTO_TEST_CASE(wait_version_wakes_on_the_delivery) {
    webhook_pki pki;
    cli_fixture f(pki.sim_options());
    const auto port = free_port();
    ascpp::sim::webhook_config hook;
    hook.url = "https://127.0.0.1:" + std::to_string(port) + "/";
    hook.secret = "cli-secret";
    f.sim.add_webhook(hook);
    f.sim.pause_processing(true);
    auto pack = f.make_file("Waited.aar", 1024 * 1024);
    auto doc = f.ascpp_json(
        {"publish", "--app", app_id, "--identifier", "Waited", "--archive", pack.string()});
    const auto version = str(doc, {"version", "id"});
    std::vector<std::string> args = {"wait",      "version",  version,
                                     "--timeout", "60s",      "--webhook-fallback-poll",
                                     "10m",       "--verbose"};
    for (auto& s : webhook_flags(pki, port))
        args.push_back(s);
    auto waiter = f.start(args);
    for (int i = 0; i < 200 && !contains(waiter->err_so_far(), "Listening for webhook"); ++i)
        std::this_thread::sleep_for(50ms);
    // Its first poll saw PROCESSING; only the delivery of COMPLETE can end it within a minute.
    std::this_thread::sleep_for(300ms);
    f.sim.pause_processing(false);
    auto r = waiter->wait(70s);
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "COMPLETE"), r.out);
}

BOOST_AUTO_TEST_CASE(webhook_listen_prints_verified_events_only) {
    webhook_pki pki;
    cli_fixture f(pki.sim_options());
    const auto port = free_port();
    std::vector<std::string> args = {"webhook", "listen", "--timeout", "30s"};
    for (auto& s : webhook_flags(pki, port))
        args.push_back(s);
    auto listener = f.start(args);
    for (int i = 0; i < 100 && !contains(listener->err_so_far(), "listening"); ++i)
        std::this_thread::sleep_for(50ms);
    ascpp::sim::webhook_config good, forged;
    good.url = forged.url = "https://127.0.0.1:" + std::to_string(port) + "/";
    good.secret = "cli-secret";
    forged.secret = "not-the-secret";
    f.sim.add_webhook(good);
    f.sim.add_webhook(forged);
    auto pack = f.make_file("Listened.aar", 1024 * 1024);
    auto doc = f.ascpp_json({"publish", "--app", app_id, "--identifier", "Listened", "--archive",
                             pack.string(), "--wait", "--timeout", "60s"});
    const auto version = str(doc, {"version", "id"});
    // The good webhook's events arrive; the forged ones are refused (and retried in vain).
    for (int i = 0; i < 100 && f.sim.stats().webhook_acknowledged < 3; ++i)
        std::this_thread::sleep_for(50ms);
    listener->signal(SIGINT);
    auto r = listener->wait(10s);
    BOOST_TEST(r.exit_code == 0, r.err);
    std::istringstream lines(r.out);
    std::string line;
    std::vector<std::string> states;
    while (std::getline(lines, line)) {
        auto e = json::parse(line);
        if (str(e, {"resourceId"}) == version)
            states.push_back(str(e, {"newValue"}));
    }
    BOOST_TEST((states == std::vector<std::string>{"PROCESSING", "COMPLETE"}));
    BOOST_TEST(f.sim.stats().webhook_failed_posts >= 2u);
}

BOOST_AUTO_TEST_SUITE_END()
