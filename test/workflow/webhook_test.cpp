// workflow::webhook_receiver: signature checks, payload reading, the HTTP(S) endpoint's answers
// and limits, and deliveries waking watches of a state_watcher, alone and from the simulator's
// webhooks (with their faults) during publishes.
#include <boost/test/unit_test.hpp>

#include "workflow/support/sim_env.hpp"

#include <ascpp/api/client.hpp>
#include <ascpp/http/client.hpp>
#include <ascpp/sim/certificate_authority.hpp>
#include <ascpp/sim/simulator.hpp>
#include <ascpp/workflow/batch.hpp>
#include <ascpp/workflow/publish.hpp>
#include <ascpp/workflow/webhook_receiver.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>

static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "webhook_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace api = ascpp::api;
namespace auth = ascpp::auth;
namespace http = ascpp::http;
namespace sim = ascpp::sim;
namespace wf = ascpp::workflow;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ascpp::testing::make_bytes;
using ascpp::testing::temp_dir;

namespace {

const std::string secret = "s3cret-for-tests";

std::string version_event(const std::string& event_id, const std::string& version_id,
                          const std::string& old_state, const std::string& new_state) {
    return R"({"data":{"type":"BACKGROUND_ASSET_VERSION_STATE_UPDATED","id":")" + event_id +
           R"(","version":1,"attributes":{"oldValue":")" + old_state + R"(","newValue":")" +
           new_state +
           R"(","timestamp":"2026-12-01T20:00:00Z"},"relationships":{"instance":{"data":{"type":"backgroundAssetVersions","id":")" +
           version_id + R"("}}}}})";
}

// An io_context the test thread drives, a receiver on it and an HTTP client to post with.
struct receiver_env {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::vector<wf::webhook_event> events;
    std::unique_ptr<wf::webhook_receiver> receiver;
    std::unique_ptr<http::client> client;
    std::string base;

    explicit receiver_env(wf::webhook_receiver_options o = {},
                          std::optional<fs::path> ca = std::nullopt) {
        if (o.secret.empty())
            o.secret = secret;
        o.on_event = [this](const wf::webhook_event& e) { events.push_back(e); };
        const bool tls = o.tls.has_value();
        receiver = std::make_unique<wf::webhook_receiver>(io.get_executor(), std::move(o));
        http::client_options co;
        co.ca_file = ca;
        client = std::make_unique<http::client>(io.get_executor(), co);
        base = (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") +
               std::to_string(receiver->port()) + "/hooks/asc";
    }
    ~receiver_env() {
        client.reset();
        receiver.reset();
        for (int i = 0; i < 100 && io.poll() > 0; ++i) {
        }
    }

    template <class T>
    T run(asio::awaitable<T> op) {
        return ascpp::testing::run(io, std::move(op), 30s);
    }

    http::response post(const std::string& body, std::optional<std::string> signature,
                        const std::string& header = "X-Apple-SIGNATURE") {
        http::request r;
        r.method = boost::beast::http::verb::post;
        r.url = boost::urls::url(base);
        r.headers.set(boost::beast::http::field::content_type, "application/json");
        if (signature)
            r.headers.set(header, *signature);
        r.body = body;
        return run(client->send(std::move(r)));
    }
    http::response signed_post(const std::string& body) {
        return post(body, "hmacsha256=" + wf::webhook_signature(secret, body));
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(signatures)

BOOST_AUTO_TEST_CASE(good_bad_and_missing_signatures) {
    const std::string body = version_event("e1", "v1", "PROCESSING", "COMPLETE");
    const auto good = wf::webhook_signature(secret, body);
    BOOST_TEST(good.size() == 64u);
    BOOST_TEST(wf::verify_webhook_signature(secret, "hmacsha256=", "hmacsha256=" + good, body));
    std::string upper = good;
    for (auto& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    BOOST_TEST(wf::verify_webhook_signature(secret, "hmacsha256=", "hmacsha256=" + upper, body));

    std::string flipped = good;
    flipped[10] = flipped[10] == '0' ? '1' : '0';
    BOOST_TEST(!wf::verify_webhook_signature(secret, "hmacsha256=", "hmacsha256=" + flipped, body));
    BOOST_TEST(!wf::verify_webhook_signature(secret, "hmacsha256=", good, body)); // no prefix
    BOOST_TEST(!wf::verify_webhook_signature(
        secret, "hmacsha256=", "hmacsha256=" + good.substr(0, 63), body));
    BOOST_TEST(!wf::verify_webhook_signature(secret, "hmacsha256=", "", body));
    BOOST_TEST(!wf::verify_webhook_signature("other", "hmacsha256=", "hmacsha256=" + good, body));
    BOOST_TEST(
        !wf::verify_webhook_signature(secret, "hmacsha256=", "hmacsha256=" + good, body + " "));
    // A known HMAC-SHA256 value (RFC 4231, test case 2).
    BOOST_TEST(wf::webhook_signature("Jefe", "what do ya want for nothing?") ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(payloads_are_read_as_documented) {
    auto e = wf::parse_webhook_event(version_event("e1", "v1", "PROCESSING", "COMPLETE"));
    BOOST_TEST(e.id == "e1");
    BOOST_TEST(e.event_type == "BACKGROUND_ASSET_VERSION_STATE_UPDATED");
    BOOST_TEST(e.resource_type == "backgroundAssetVersions");
    BOOST_TEST(e.resource_id == "v1");
    BOOST_TEST(e.old_state == "PROCESSING");
    BOOST_TEST(e.new_state == "COMPLETE");
    BOOST_TEST(e.timestamp == "2026-12-01T20:00:00Z");

    auto o = wf::parse_webhook_event(
        R"({"data":{"type":"X","attributes":{"newValue":{"state":"READY_FOR_TESTING"}}}})");
    BOOST_TEST(o.new_state == "READY_FOR_TESTING");
    BOOST_TEST(o.resource_id.empty());

    BOOST_CHECK_THROW(wf::parse_webhook_event("not json"), std::invalid_argument);
    BOOST_CHECK_THROW(wf::parse_webhook_event("[1,2]"), std::invalid_argument);
    BOOST_CHECK_THROW(wf::parse_webhook_event(R"({"data":3})"), std::invalid_argument);
    BOOST_CHECK_THROW(wf::parse_webhook_event(std::string(100, '[') + std::string(100, ']')),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(receiver)

BOOST_AUTO_TEST_CASE(answers_and_counts_each_kind_of_request) {
    receiver_env env;
    const std::string body = version_event("e1", "v1", "PROCESSING", "COMPLETE");

    // Missing and wrong signatures: 401, nothing handed out.
    BOOST_TEST(env.post(body, std::nullopt).status == 401u);
    BOOST_TEST(env.post(body, "hmacsha256=" + std::string(64, '0')).status == 401u);
    BOOST_TEST(env.post(body, "hmacsha256=" + wf::webhook_signature("wrong", body)).status == 401u);
    // Signed for another body (a replayed signature on an altered body).
    const std::string altered = version_event("e1", "v1", "PROCESSING", "FAILED");
    BOOST_TEST(env.post(altered, "hmacsha256=" + wf::webhook_signature(secret, body)).status ==
               401u);
    BOOST_TEST(env.events.empty());

    // Good: 200, handed out once; the same body again (a replay or a duplicate delivery) is
    // acknowledged and ignored.
    BOOST_TEST(env.signed_post(body).status == 200u);
    BOOST_TEST(env.signed_post(body).status == 200u);
    BOOST_REQUIRE_EQUAL(env.events.size(), 1u);
    BOOST_TEST(env.events[0].resource_id == "v1");
    BOOST_TEST(env.events[0].body == body);

    // Verified but not an event: 400. Too large: 413.
    BOOST_TEST(env.signed_post("{}").status == 400u);
    BOOST_TEST(env.signed_post(std::string(70 * 1024, ' ')).status == 413u);
    BOOST_TEST(env.events.size() == 1u);

    auto s = env.receiver->stats();
    BOOST_TEST(s.accepted == 1u);
    BOOST_TEST(s.duplicates == 1u);
    BOOST_TEST(s.missing_signatures == 1u);
    BOOST_TEST(s.bad_signatures == 3u);
    BOOST_TEST(s.malformed == 1u);
    BOOST_TEST(s.too_large == 1u);
}

BOOST_AUTO_TEST_CASE(events_without_an_id_are_deduplicated_by_body) {
    receiver_env env;
    const std::string body =
        R"({"data":{"type":"BACKGROUND_ASSET_VERSION_STATE_UPDATED","attributes":{"newValue":"COMPLETE"},)"
        R"("relationships":{"instance":{"data":{"type":"backgroundAssetVersions","id":"v9"}}}}})";
    BOOST_TEST(env.signed_post(body).status == 200u);
    BOOST_TEST(env.signed_post(body).status == 200u);
    BOOST_TEST(env.events.size() == 1u);
    BOOST_TEST(env.receiver->stats().duplicates == 1u);
}

BOOST_AUTO_TEST_CASE(header_name_and_prefix_are_configurable) {
    wf::webhook_receiver_options o;
    o.signature_header = "X-Hub-Signature-256";
    o.signature_prefix = "sha256=";
    receiver_env env(o);
    const std::string body = version_event("e2", "v2", "AWAITING_UPLOAD", "PROCESSING");
    BOOST_TEST(
        env.post(body, "sha256=" + wf::webhook_signature(secret, body), "X-Hub-Signature-256")
            .status == 200u);
    // The default header is not looked at any more.
    BOOST_TEST(env.post(version_event("e3", "v2", "PROCESSING", "COMPLETE"),
                        "hmacsha256=" + wf::webhook_signature(secret, body))
                   .status == 401u);
    BOOST_TEST(env.events.size() == 1u);
}

BOOST_AUTO_TEST_CASE(over_tls) {
    temp_dir dir{"ascpp-webhook-"};
    auto ca = sim::certificate_authority::generate("webhook test CA");
    auto leaf = ca.issue({"localhost"}, {"127.0.0.1"});
    sim::certificate_authority::write_pem(dir.path / "ca.pem", ca.certificate_pem());
    sim::certificate_authority::write_pem(dir.path / "cert.pem", leaf.certificate_pem);
    sim::certificate_authority::write_pem(dir.path / "key.pem", leaf.private_key_pem);
    wf::webhook_receiver_options o;
    o.tls = wf::webhook_tls_files{dir.path / "cert.pem", dir.path / "key.pem"};
    receiver_env env(o, dir.path / "ca.pem");
    BOOST_TEST(env.signed_post(version_event("t1", "v1", "PROCESSING", "COMPLETE")).status == 200u);
    BOOST_TEST(
        env.post(version_event("t2", "v1", "PROCESSING", "COMPLETE"), "hmacsha256=00").status ==
        401u);
    BOOST_TEST(env.events.size() == 1u);
}

BOOST_AUTO_TEST_CASE(connections_beyond_the_limit_are_closed_at_once) {
    wf::webhook_receiver_options o;
    o.max_connections = 1;
    receiver_env env(o);
    asio::ip::tcp::socket first(env.io);
    first.connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), env.receiver->port()));
    for (int i = 0; i < 200 && env.receiver->stats().connections < 1; ++i)
        env.io.run_one_for(10ms);
    BOOST_TEST_REQUIRE(env.receiver->stats().connections == 1u);
    BOOST_CHECK_THROW(env.signed_post(version_event("c1", "v1", "PROCESSING", "COMPLETE")),
                      http::transport_error);
    BOOST_TEST(env.receiver->stats().refused_connections >= 1u);
    BOOST_TEST(env.events.empty());
    first.close();
    for (int i = 0; i < 200 && env.receiver->stats().connections == 1u; ++i) {
        env.io.run_one_for(10ms);
        try {
            if (env.signed_post(version_event("c2", "v1", "PROCESSING", "COMPLETE")).status == 200u)
                break;
        } catch (const http::transport_error&) {
        }
    }
    BOOST_TEST(env.events.size() == 1u);
}

BOOST_AUTO_TEST_CASE(chunked_bodies_get_411) {
    receiver_env env;
    asio::ip::tcp::socket s(env.io);
    s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), env.receiver->port()));
    const std::string req = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                            "X-Apple-SIGNATURE: hmacsha256=00\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
    asio::write(s, asio::buffer(req));
    std::string answer;
    auto f = std::async(std::launch::async, [&] {
        char buf[512];
        boost::system::error_code ec;
        for (;;) {
            auto n = s.read_some(asio::buffer(buf), ec);
            answer.append(buf, n);
            if (ec)
                return;
        }
    });
    while (f.wait_for(0s) != std::future_status::ready)
        env.io.run_one_for(10ms);
    BOOST_TEST(answer.starts_with("HTTP/1.1 411"), answer);
    BOOST_TEST(env.events.empty());
}

BOOST_AUTO_TEST_CASE(an_empty_secret_is_refused) {
    asio::io_context io;
    wf::webhook_receiver_options o;
    BOOST_CHECK_THROW(wf::webhook_receiver(io.get_executor(), o), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
// With the simulator: it delivers its state changes to a receiver over TLS, and publishes wait
// on those deliveries, with polls only as the fallback.

namespace {

constexpr std::uint64_t part_size = 64 * 1024;

// The receiver's certificate comes from a CA of the test's own, which the simulator trusts for
// webhook URLs (simulator_options::webhook_ca_file).
struct pki {
    temp_dir dir{"ascpp-webhook-"};
    pki() {
        auto ca = sim::certificate_authority::generate("webhook receiver CA");
        auto leaf = ca.issue({"localhost"}, {"127.0.0.1"});
        sim::certificate_authority::write_pem(dir.path / "ca.pem", ca.certificate_pem());
        sim::certificate_authority::write_pem(dir.path / "cert.pem", leaf.certificate_pem);
        sim::certificate_authority::write_pem(dir.path / "key.pem", leaf.private_key_pem);
    }
};

sim::simulator_options sim_options(const pki& p) {
    sim::simulator_options o;
    o.part_size = part_size;
    o.upload_processing_delay = 20ms;
    o.version_processing_delay = 50ms;
    o.release_processing_delay = 20ms;
    o.rate_limit = 1'000'000;
    o.seed = 7;
    o.webhook_ca_file = p.dir.path / "ca.pem";
    o.webhook_retry_delay = 50ms;
    o.webhook_attempts = 4;
    return o;
}

// The shared simulator and client (support/sim_env.hpp), with a receiver of the simulator's
// webhooks over TLS that tells a state watcher. The CA comes first: the simulator trusts it.
struct sim_env : pki, ascpp::testing::sim_client_env {
    std::shared_ptr<wf::state_watcher> watcher;
    std::unique_ptr<wf::webhook_receiver> receiver;
    std::vector<wf::webhook_event> events;

    explicit sim_env(std::vector<sim::fault_rule> faults = {})
        : sim_client_env(sim_options(*this), "ascpp-webhook-") {
        watcher = std::make_shared<wf::state_watcher>(*client);
        wf::webhook_receiver_options ro;
        ro.secret = "the webhook's secret";
        ro.tls = wf::webhook_tls_files{pki::dir.path / "cert.pem", pki::dir.path / "key.pem"};
        ro.on_event = [this](const wf::webhook_event& e) { events.push_back(e); };
        receiver = std::make_unique<wf::webhook_receiver>(io.get_executor(), ro, watcher);
        sim::webhook_config hook;
        hook.url = "https://127.0.0.1:" + std::to_string(receiver->port()) + "/asc";
        hook.secret = ro.secret;
        sim.add_webhook(hook);
        sim.set_faults(std::move(faults));
    }
    ~sim_env() {
        receiver.reset();
        watcher.reset();
    }

    // Publish options that rely on webhooks: the fallback poll is `fallback` apart.
    wf::publish_options options(std::chrono::milliseconds fallback) const {
        wf::publish_options o;
        o.watcher = watcher;
        o.watch.changes_pushed = true;
        wf::poll_policy p;
        p.initial = fallback;
        p.max = fallback;
        p.multiplier = 1.0;
        p.jitter = 0.0;
        o.watch.poll = p;
        o.watch.timeout = 60s;
        o.upload.retry.initial_delay = 5ms;
        o.reconcile_delay = 20ms;
        return o;
    }

    wf::publish_request request(const std::string& name, std::uint32_t seed) {
        wf::publish_request r;
        r.app_id = sim.options().app_ids.front();
        r.asset_pack_identifier = name;
        r.asset = sim_client_env::dir.path / (name + ".aar");
        auto bytes = make_bytes(2 * part_size + 100, seed);
        std::ofstream(r.asset, std::ios::binary)
            .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return r;
    }
};

std::uint64_t api_requests_of(const sim::simulator_stats& s) {
    std::uint64_t n = 0;
    for (const auto& [op, count] : s.requests)
        if (op != "upload_part" && op != "sim")
            n += count;
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(with_the_simulator)

BOOST_AUTO_TEST_CASE(publish_waits_on_a_delivery_without_polling) {
    sim_env env;
    // The fallback poll is beyond the wait's timeout: only a delivery can end the wait.
    auto o = env.options(10min);
    auto result = env.run(wf::publish(*env.client, env.request("Hooked", 1), o));
    BOOST_TEST(result.version_state == "COMPLETE");
    BOOST_TEST_REQUIRE(result.version.attributes.has_value());
    BOOST_TEST(result.version.attributes->version.value_or("") == "1"); // kept from the create
    BOOST_TEST(result.version.attributes->state->str() == "COMPLETE");
    auto ws = env.watcher->stats();
    BOOST_TEST(ws.requests == 0u); // no poll at all
    BOOST_TEST(ws.pushed_results == 1u);
    BOOST_TEST(ws.notifications >= 2u); // PROCESSING, COMPLETE (and the internal beta release)
    // lookup, create pack, create version, reserve, commit: and the simulator agrees.
    // Lookup, create pack, create version, reserve, commit; the simulator agrees.
    BOOST_TEST(result.api_requests == 5u);
    auto ss = env.sim.stats();
    BOOST_TEST(api_requests_of(ss) == result.api_requests);
    BOOST_TEST(env.receiver->stats().accepted >= 2u);
    BOOST_TEST(env.receiver->stats().bad_signatures == 0u);
}

BOOST_AUTO_TEST_CASE(a_release_wait_wakes_on_its_delivery) {
    sim_env env;
    auto o = env.options(10min);
    o.release = wf::release_target{};
    auto result = env.run(wf::publish(*env.client, env.request("Released", 2), o));
    BOOST_TEST_REQUIRE(result.release.has_value());
    BOOST_TEST(result.release->state == "READY_FOR_TESTING");
}

BOOST_AUTO_TEST_CASE(lost_deliveries_cost_a_fallback_poll_not_the_result) {
    sim::fault_rule drop;
    drop.route = "webhook";
    drop.kind = sim::fault_kind::drop_delivery;
    drop.rate = 1.0;
    sim_env env({drop});
    auto result = env.run(wf::publish(*env.client, env.request("Lost", 3), env.options(300ms)));
    BOOST_TEST(result.version_state == "COMPLETE");
    BOOST_TEST(env.events.empty());
    BOOST_TEST(env.watcher->stats().requests >= 1u); // the fallback poll found it
    BOOST_TEST(env.sim.stats().faults["drop_delivery"] >= 1u);
}

BOOST_AUTO_TEST_CASE(duplicated_and_reordered_deliveries_are_harmless) {
    sim::fault_rule dup;
    dup.route = "webhook";
    dup.kind = sim::fault_kind::duplicate_delivery;
    dup.rate = 1.0;
    sim::fault_rule reorder;
    reorder.route = "webhook";
    reorder.kind = sim::fault_kind::reorder_delivery;
    reorder.rate = 0.5;
    reorder.delay = 200ms;
    sim_env env({dup, reorder});
    auto result = env.run(wf::publish(*env.client, env.request("Twice", 4), env.options(10min)));
    BOOST_TEST(result.version_state == "COMPLETE");
    auto rs = env.receiver->stats();
    BOOST_TEST(rs.duplicates >= 1u);
    // Each event reached the watcher once.
    std::set<std::string> ids;
    for (auto& e : env.events)
        BOOST_TEST(ids.insert(e.id).second);
}

BOOST_AUTO_TEST_CASE(forged_deliveries_change_nothing) {
    sim::fault_rule forge;
    forge.route = "webhook";
    forge.kind = sim::fault_kind::bad_signature;
    forge.rate = 1.0;
    sim_env env({forge});
    auto result = env.run(wf::publish(*env.client, env.request("Forged", 5), env.options(10min)));
    // Every event was also forged as FAILED, and the forgeries were refused.
    BOOST_TEST(result.version_state == "COMPLETE");
    BOOST_TEST(!result.processing_failed);
    BOOST_TEST(env.receiver->stats().bad_signatures >= 2u);
    for (auto& e : env.events)
        BOOST_TEST(e.new_state != "FAILED");
}

BOOST_AUTO_TEST_CASE(a_notification_before_the_watch_settles_it_and_none_goes_back) {
    sim_env env;
    const std::string version = "4b1e0c4e-0000-4000-8000-000000000001";
    env.watcher->notify({"backgroundAssetVersions", version, "COMPLETE"});
    // A late delivery of an earlier state changes nothing.
    env.watcher->notify({"backgroundAssetVersions", version, "PROCESSING"});
    wf::watch_options wo;
    wo.changes_pushed = true;
    wo.first_look_at_once = false;
    wo.timeout = 30s;
    std::vector<ascpp::api::background_asset_version_state> goal{
        ascpp::api::background_asset_version_state::complete};
    auto v = env.run(env.watcher->wait_for_version(version, goal, wo));
    BOOST_TEST(v.id == version);
    BOOST_TEST(v.attributes->state->str() == "COMPLETE");
    BOOST_TEST(env.watcher->stats().requests == 0u);
    BOOST_TEST(env.watcher->stats().pushed_results == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_version_is_read_for_its_details) {
    sim::fault_rule fail;
    fail.route = "backgroundAssetUploadFiles_updateInstance";
    fail.kind = sim::fault_kind::fail_processing;
    sim_env env({fail});
    auto result = env.run(wf::publish(*env.client, env.request("Broken", 6), env.options(10min)));
    BOOST_TEST(result.processing_failed);
    BOOST_TEST(result.version_state == "FAILED");
    BOOST_TEST_REQUIRE(result.state_details.has_value());
    BOOST_TEST(result.state_details->errors.has_value());
    // The FAILED delivery woke the wait, which read the version (one request) for its details.
    BOOST_TEST(env.watcher->stats().requests == 1u);
}

BOOST_AUTO_TEST_CASE(a_batch_through_every_delivery_fault) {
    std::vector<sim::fault_rule> faults(5);
    for (auto& f : faults)
        f.route = "webhook";
    faults[0].kind = sim::fault_kind::drop_delivery;
    faults[0].rate = 0.2;
    faults[1].kind = sim::fault_kind::duplicate_delivery;
    faults[1].rate = 0.3;
    faults[2].kind = sim::fault_kind::reorder_delivery;
    faults[2].rate = 0.3;
    faults[2].delay = 100ms;
    faults[3].kind = sim::fault_kind::bad_signature;
    faults[3].rate = 0.3;
    faults[4].kind = sim::fault_kind::latency;
    faults[4].rate = 0.3;
    faults[4].delay = 50ms;
    sim_env env(faults);
    std::vector<wf::batch_entry> entries;
    for (int i = 0; i < 16; ++i) {
        auto r = env.request("Batch" + std::to_string(i), 100 + i);
        wf::batch_entry b;
        b.app_id = r.app_id;
        b.asset_pack_identifier = r.asset_pack_identifier;
        b.asset = r.asset;
        entries.push_back(std::move(b));
    }
    wf::batch_options bo;
    bo.publish = env.options(500ms);
    bo.max_concurrent_publishes = 8;
    auto summary = env.run(wf::publish_batch(*env.client, entries, bo), 120s);
    BOOST_TEST(summary.succeeded == entries.size());
    for (auto& item : summary.items)
        BOOST_TEST((item.result && item.result->version_state == "COMPLETE"), item.error);
    auto ss = env.sim.stats();
    BOOST_TEST(api_requests_of(ss) == summary.api_requests);
    BOOST_TEST(env.receiver->stats().bad_signatures >= 1u);
    BOOST_TEST_MESSAGE("batch of 16 with delivery faults: "
                       << summary.api_requests << " API requests, " << env.watcher->stats().requests
                       << " of them polls; receiver: " << env.receiver->stats().accepted
                       << " accepted, " << env.receiver->stats().duplicates << " duplicates, "
                       << env.receiver->stats().bad_signatures << " forged");
}

BOOST_AUTO_TEST_SUITE_END()
