// Seeded fault injection: each kind of fault hits about its configured share of the requests it
// matches (within a generous binomial bound over a bounded number of requests), and the same seed
// gives the same sequence of verdicts while another seed gives another one. Each verdict is read
// from what the client sees (status, a broken exchange, a 403 on the part URL, a FAILED file);
// latency, which a client cannot tell apart without timing, is read from the fault counter.
#include <boost/test/unit_test.hpp>

#include "sim_fixture.hpp"

#include <cmath>

using namespace ascpp::test;
using ascpp::sim::fault_kind;
using ascpp::sim::fault_rule;

namespace {

using verdicts = std::vector<bool>;

std::size_t hits(const verdicts& v) {
    return static_cast<std::size_t>(std::count(v.begin(), v.end(), true));
}

// Four standard deviations of a binomial count (at least 3), so a correct simulator stays well
// inside it while a rate off by a wide margin (or ignored) does not.
void check_rate(const verdicts& v, double rate) {
    const double n = static_cast<double>(v.size());
    const double expected = n * rate;
    const double bound = std::max(3.0, 4 * std::sqrt(n * rate * (1 - rate)));
    const double got = static_cast<double>(hits(v));
    BOOST_TEST(std::abs(got - expected) <= bound,
               "hit " << got << " of " << n << " at rate " << rate << " (bound " << bound << ")");
}

fault_rule rule(std::string route, fault_kind kind, double rate) {
    fault_rule r;
    r.route = std::move(route);
    r.kind = kind;
    r.rate = rate;
    return r;
}

std::uint64_t fault_count(sim_env& env, const char* kind) {
    auto s = env.sim.stats();
    auto it = s.faults.find(kind);
    return it == s.faults.end() ? 0 : it->second;
}

std::string delivery_state_of(const json::object& d) {
    return std::string(d.at("attributes").at("assetDeliveryState").at("state").as_string());
}

// Runs `probe` `n` times under `rules` seeded with `seed`, from a freshly reset simulator; the
// probe returns whether the fault hit.
template <class Probe>
verdicts run(sim_env& env, const std::vector<fault_rule>& rules, std::uint64_t seed, int n,
             Probe&& probe) {
    env.sim.reset();
    env.sim.set_faults(rules, seed);
    verdicts out;
    for (int i = 0; i < n; ++i)
        out.push_back(probe(i));
    env.sim.clear_faults();
    return out;
}

// The verdicts under one seed twice (identical) and under another seed (different); the
// simulator's counters then hold the last run's.
template <class Probe>
verdicts check_reproducible(sim_env& env, const std::vector<fault_rule>& rules, int n,
                            Probe&& probe) {
    auto other = run(env, rules, 98765, n, probe);
    auto first = run(env, rules, 1234, n, probe);
    auto again = run(env, rules, 1234, n, probe);
    BOOST_TEST(first == again, "the same seed gives the same sequence");
    BOOST_TEST(first != other, "another seed gives another sequence");
    return first;
}

} // namespace

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(http_errors_hit_at_their_rates_reproducibly) {
    sim_env env;
    const std::string app = "1000000001";
    struct kind {
        unsigned status;
        const char* code;
        double rate;
    };
    for (auto k : {kind{500, "UNEXPECTED_ERROR", 0.2}, kind{503, "SERVICE_UNAVAILABLE", 0.5},
                   kind{429, "RATE_LIMIT_EXCEEDED", 0.1}}) {
        BOOST_TEST_CONTEXT("status " << k.status) {
            auto r = rule("apps_backgroundAssets_getToManyRelated", fault_kind::http_error, k.rate);
            r.status = k.status;
            // Another route's rule draws from its own generator and never disturbs this one.
            auto noise = rule("backgroundAssets_getInstance", fault_kind::http_error, 0.5);
            auto v = check_reproducible(env, {noise, r}, 120, [&](int i) {
                if (i % 3 == 0)
                    env.api(verb::get, "/v1/backgroundAssets/none");
                auto res = env.api(verb::get, "/v1/apps/" + app + "/backgroundAssets");
                BOOST_TEST_REQUIRE((res.status == 200u || res.status == k.status), res.body);
                if (res.status == k.status) {
                    const json::value doc_104 = res.json();
                    auto& e = doc_104.at("errors").at(0);
                    BOOST_TEST(e.at("code").as_string() == k.code);
                    BOOST_TEST(e.at("status").as_string() == std::to_string(k.status));
                    BOOST_TEST(!res.header("X-Rate-Limit").empty());
                }
                return res.status == k.status;
            });
            check_rate(v, k.rate);
        }
    }
}

BOOST_AUTO_TEST_CASE(latency_drops_and_stalls_hit_at_their_rates_reproducibly) {
    sim_env env;
    const std::string path = "/v1/apps/1000000001/backgroundAssets";

    auto latency = rule("*", fault_kind::latency, 0.3);
    latency.delay = std::chrono::milliseconds(5);
    auto v = check_reproducible(env, {latency}, 100, [&](int) {
        auto before = fault_count(env, "latency");
        auto res = env.api(verb::get, path);
        BOOST_TEST(res.status == 200u); // late, but served
        return fault_count(env, "latency") == before + 1;
    });
    check_rate(v, 0.3);

    auto drop = rule("apps_backgroundAssets_getToManyRelated", fault_kind::drop_connection, 0.25);
    v = check_reproducible(env, {drop}, 80, [&](int) {
        auto res = env.api(verb::get, path);
        BOOST_TEST((res.status == 200u || res.status == 0u));
        return res.status == 0u; // the body was cut: the exchange fails
    });
    check_rate(v, 0.25);
    BOOST_TEST(fault_count(env, "drop_connection") == hits(v));

    auto stall = rule("apps_backgroundAssets_getToManyRelated", fault_kind::stall, 0.2);
    stall.delay = std::chrono::milliseconds(20);
    v = check_reproducible(env, {stall}, 50, [&](int) {
        auto res = env.api(verb::get, path);
        BOOST_TEST((res.status == 200u || res.status == 0u));
        return res.status == 0u; // never answered; closed after the stall
    });
    check_rate(v, 0.2);
    BOOST_TEST(fault_count(env, "stall") == hits(v));

    // max_hits caps a rule.
    auto capped = rule("apps_backgroundAssets_getToManyRelated", fault_kind::http_error, 1.0);
    capped.max_hits = 3;
    v = run(env, {capped}, 1, 6, [&](int) { return env.api(verb::get, path).status == 500u; });
    BOOST_TEST(v == (verdicts{true, true, true, false, false, false}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(upload_host_faults_hit_at_their_rates_reproducibly) {
    sim_env env;
    const std::string bytes = make_bytes(2000, 4);
    // One single-part reservation; its part is PUT again and again.
    json::object file;
    auto reserve = [&] {
        file = env.reserve(env.create_version(env.create_pack("Faults")), "f.aar", bytes.size());
    };
    auto put_part = [&] {
        auto results = env.upload_parts(file, bytes);
        BOOST_TEST_REQUIRE(results.size() == 1u);
        return results[0];
    };

    auto errors = rule("upload_part", fault_kind::http_error, 0.3);
    errors.status = 503;
    auto v = check_reproducible(env, {errors}, 80, [&](int i) {
        if (i == 0)
            reserve();
        auto r = put_part();
        BOOST_TEST((r.status == 200u || r.status == 503u));
        return r.status == 503u;
    });
    check_rate(v, 0.3);

    auto drop = rule("upload_part", fault_kind::drop_connection, 0.25);
    v = check_reproducible(env, {drop}, 60, [&](int i) {
        if (i == 0)
            reserve();
        auto r = put_part();
        BOOST_TEST((r.status == 200u || r.status == 0u));
        return r.status == 0u;
    });
    check_rate(v, 0.25);
    BOOST_TEST(fault_count(env, "drop_connection") == hits(v));

    // Expired reservations: their part URLs are refused with 403.
    auto expire =
        rule("backgroundAssetUploadFiles_createInstance", fault_kind::expire_upload_url, 0.5);
    std::string pack;
    v = check_reproducible(env, {expire}, 40, [&](int i) {
        if (i == 0)
            pack = env.create_pack("Expire");
        file = env.reserve(env.create_version(pack), "f.aar", bytes.size());
        auto r = put_part();
        BOOST_TEST((r.status == 200u || r.status == 403u));
        return r.status == 403u;
    });
    check_rate(v, 0.5);
    BOOST_TEST(fault_count(env, "expire_upload_url") == hits(v));
}

BOOST_AUTO_TEST_CASE(processing_failures_hit_at_their_rate_reproducibly) {
    sim_env env;
    const std::string bytes = make_bytes(500, 8);
    std::string pack;
    auto probe = [&](const std::string& name) {
        if (pack.empty())
            pack = env.create_pack("Processing");
        auto file = env.reserve(env.create_version(pack), name, bytes.size());
        for (auto& r : env.upload_parts(file, bytes))
            BOOST_TEST_REQUIRE(r.status == 200u);
        auto id = std::string(file.at("id").as_string());
        BOOST_TEST_REQUIRE(env.commit(id).status == 200u);
        auto state = env.wait_for("/v1/backgroundAssetUploadFiles/" + id, delivery_state_of,
                                  {"COMPLETE", "FAILED"});
        BOOST_TEST((state == "COMPLETE" || state == "FAILED"));
        if (state == "FAILED") {
            auto f = env.api(verb::get, "/v1/backgroundAssetUploadFiles/" + id);
            BOOST_TEST(!f.json()
                            .at("data")
                            .at("attributes")
                            .at("assetDeliveryState")
                            .at("errors")
                            .as_array()
                            .empty());
        }
        return state == "FAILED";
    };
    auto fail = rule("backgroundAssetUploadFiles_updateInstance", fault_kind::fail_processing, 0.5);
    auto v = check_reproducible(env, {fail}, 24, [&](int i) {
        if (i == 0)
            pack.clear(); // reset() dropped it
        return probe("a.aar");
    });
    check_rate(v, 0.5);
    BOOST_TEST(fault_count(env, "fail_processing") == hits(v));

    // A rule for one file name leaves other files alone.
    auto named =
        rule("backgroundAssetUploadFiles_updateInstance", fault_kind::fail_processing, 1.0);
    named.file_name = "bad.aar";
    v = run(env, {named}, 1, 4, [&](int i) {
        if (i == 0)
            pack.clear();
        return probe(i % 2 ? "bad.aar" : "good.aar");
    });
    BOOST_TEST(v == (verdicts{false, true, false, true}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fault_control_api)

BOOST_AUTO_TEST_CASE(rules_set_over_http_behave_like_rules_set_in_process) {
    sim_env env;
    const std::string path = "/v1/apps/1000000001/backgroundAssets";
    auto probe = [&](int) { return env.api(verb::get, path).status == 503u; };
    auto r = rule("apps_backgroundAssets_getToManyRelated", fault_kind::http_error, 0.4);
    r.status = 503;
    auto in_process = run(env, {r}, 77, 60, probe);

    auto put = env.control(verb::put, "/sim/faults",
                           json::parse(R"({"seed":77,"rules":[{"route":)"
                                       R"("apps_backgroundAssets_getToManyRelated","kind":)"
                                       R"("http_error","rate":0.4,"status":503}]})"));
    BOOST_TEST_REQUIRE(put.status == 200u, put.body);
    auto listed = env.control(verb::get, "/sim/faults");
    BOOST_TEST_REQUIRE(listed.status == 200u);
    const json::value doc = listed.json();
    BOOST_TEST(doc.at("seed").to_number<std::uint64_t>() == 77u);
    BOOST_TEST_REQUIRE(doc.at("rules").as_array().size() == 1u);
    BOOST_TEST(doc.at("rules").at(0).at("kind").as_string() == "http_error");
    BOOST_TEST(doc.at("rules").at(0).at("status").to_number<unsigned>() == 503u);
    verdicts over_http;
    for (int i = 0; i < 60; ++i)
        over_http.push_back(probe(i));
    BOOST_TEST(over_http == in_process, "the same rules and seed give the same sequence");

    auto cleared = env.control(verb::delete_, "/sim/faults");
    BOOST_TEST(cleared.status == 200u);
    BOOST_TEST(cleared.json().at("rules").as_array().empty());
    for (int i = 0; i < 10; ++i)
        BOOST_TEST(env.api(verb::get, path).status == 200u);

    // Malformed rules are refused and leave the rules as they were.
    for (const char* bad :
         {R"({"rules":[{"kind":"http_error","rate":1.5}]})",
          R"({"rules":[{"kind":"http_error","status":404}]})", R"({"rules":[{"kind":"explode"}]})",
          R"({"rules":[{"route":"*","colour":"red"}]})", R"({"seed":-1,"rules":[]})",
          R"({"rules":{}})"}) {
        BOOST_TEST_CONTEXT(bad) {
            auto res = env.control(verb::put, "/sim/faults", json::parse(bad));
            BOOST_TEST(res.status == 400u, res.body);
        }
    }
    BOOST_TEST(env.control(verb::get, "/sim/faults").json().at("rules").as_array().empty());
}

BOOST_AUTO_TEST_CASE(timing_and_rate_limit_change_while_running) {
    sim_env env;
    auto put = env.control(verb::put, "/sim/timing",
                           json::parse(R"({"versionProcessingDelayMs":300000,)"
                                       R"("versionProcessingSpread":0.6,"rateLimit":2,)"
                                       R"("rateLimitWindowMs":60000})"));
    BOOST_TEST_REQUIRE(put.status == 200u, put.body);
    auto got = env.control(verb::get, "/sim/timing").json();
    BOOST_TEST(got.at("versionProcessingDelayMs").to_number<std::int64_t>() == 300000);
    BOOST_TEST(got.at("versionProcessingSpread").to_number<double>() == 0.6);
    BOOST_TEST(got.at("rateLimit").to_number<std::int64_t>() == 2);
    BOOST_TEST(got.at("rateLimitWindowMs").to_number<std::int64_t>() == 60000);
    // The new limit applies at once: two requests in the window, then 429.
    const std::string path = "/v1/apps/1000000001/backgroundAssets";
    BOOST_TEST(env.api(verb::get, path).status == 200u);
    BOOST_TEST(env.api(verb::get, path).status == 200u);
    BOOST_TEST(env.api(verb::get, path).status == 429u);
    for (const char* bad : {R"({"rateLimit":0})", R"({"versionProcessingSpread":9})",
                            R"({"versionProcessingDelayMs":-1})", R"({"tempo":1})",
                            R"({"rateLimitWindowMs":"1h"})"}) {
        BOOST_TEST_CONTEXT(bad) {
            auto res = env.control(verb::put, "/sim/timing", json::parse(bad));
            BOOST_TEST(res.status == 400u, res.body);
        }
    }
    BOOST_TEST(env.control(verb::get, "/sim/timing").json().at("rateLimit").to_number<int>() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
