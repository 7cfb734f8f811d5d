// Polls and pacing (scenario polls): a batch of asset-only packs of existing identifiers (each
// with a COMPLETE version, published first) waited for COMPLETE while the simulator's processing
// times are drawn from a spread of minutes, as Apple's take, with the simulator's clock and the
// client's poll policy scaled down by the same factor so that the run takes seconds. New
// contents twice: with today's policy (a look at once, then 2 s x1.5 up to 60 s) and with looks
// timed from the learned processing time. Then again under a rate limit scaled down so that the
// batch cannot fit one window: it must draw no 429 and end with every pack COMPLETE. The
// simulator's request counts must equal the client's.
#include "scenarios.hpp"

#include <ascpp/workflow/batch.hpp>
#include <ascpp/workflow/state_watcher.hpp>

#include <cmath>
#include <iostream>
#include <thread>

namespace ascpp_bench {

namespace wf = ascpp::workflow;

namespace {

using namespace std::chrono_literals;

// Realistic times divided by this: ten minutes of processing take one second.
constexpr double time_scale = 600;
// An assumption (Apple publishes no figures): a 1 MiB asset-only version processes in 5
// minutes at the median, spread lognormally (sigma 0.6: 5% to 95% of versions in 1.9 to 13.4
// minutes), after 30 s of file processing.
constexpr double version_median_ms = 5 * 60'000;
constexpr double version_spread = 0.6;
constexpr double file_processing_ms = 30'000;

std::chrono::milliseconds scaled(double realistic_ms) {
    return std::chrono::milliseconds(
        std::max<std::int64_t>(1, std::llround(realistic_ms / time_scale)));
}

void set_timing(bench_env& env, const json::object& body) {
    env.run(sim_call(*env.client, env.api_url, boost::beast::http::verb::put, "/sim/timing",
                     json::serialize(body)));
}

struct batch_run {
    wf::batch_summary summary;
    wf::watcher_stats watch;
    std::uint64_t simulator_requests = 0;
    std::uint64_t simulator_429 = 0;
    std::uint64_t client_429 = 0;
    json::object by_operation; // the simulator's count
};

batch_run run_batch(bench_env& env, api::client& client,
                    const std::vector<wf::batch_entry>& entries, const wf::watcher_options& wo,
                    const std::string& who) {
    env.reset_stats();
    const auto limited_before = client.stats().rate_limited;
    wf::batch_options bo;
    bo.max_concurrent_publishes = 8;
    bo.publish.wait_for_processing = true;
    bo.publish.watch.poll = wo.poll;
    auto watcher = std::make_shared<wf::state_watcher>(client, wo);
    bo.publish.watcher = watcher;
    batch_run r;
    r.summary = env.run(wf::publish_batch(client, entries, std::move(bo)));
    r.watch = watcher->stats();
    auto st = env.stats();
    r.simulator_requests = api_requests_seen(st);
    r.by_operation = api_requests_by_operation(st);
    r.simulator_429 = num(st, "rateLimited");
    r.client_429 = client.stats().rate_limited - limited_before;
    if (r.summary.failed != 0 || r.summary.succeeded != entries.size())
        fail("polls (" + who + "): " + std::to_string(r.summary.failed) + " packs failed" +
             (r.summary.failed ? ": " + r.summary.items.front().error : std::string()));
    for (const auto& item : r.summary.items)
        if (!item.result || item.result->version_state != "COMPLETE")
            fail("polls (" + who + "): a version ended " +
                 (item.result ? item.result->version_state : std::string("without a result")));
    if (!checksums_all_matched(st, entries.size()))
        fail("polls (" + who + "): the commits' checksums were not all verified as matching");
    if (r.simulator_requests != r.summary.api_requests)
        fail("polls (" + who + "): the client sent " + std::to_string(r.summary.api_requests) +
             " API requests, the simulator saw " + std::to_string(r.simulator_requests));
    return r;
}

// The same packs each round, with new contents.
std::vector<wf::batch_entry> make_entries(const fs::path& dir, std::size_t n, unsigned round) {
    std::vector<wf::batch_entry> entries;
    for (std::size_t i = 0; i < n; ++i) {
        auto f = dir / ("polls-" + std::to_string(i) + ".aar");
        make_file(f, 1 << 20, 7000 + 1000 * round + i);
        wf::batch_entry e;
        e.app_id = polls_app;
        e.asset_pack_identifier = pack_identifier("polls", i);
        e.asset = f;
        entries.push_back(std::move(e));
    }
    return entries;
}

json::object describe(const batch_run& r, std::size_t packs) {
    const double per_pack = double(r.summary.api_requests) / double(packs);
    return {{"api_requests", r.summary.api_requests},
            {"simulator_api_requests", r.simulator_requests},
            {"api_requests_per_pack", per_pack},
            {"packs_per_hour_at_3600", 3600.0 / per_pack},
            {"watch_requests", r.watch.requests},
            {"looks_per_version", double(r.watch.requests) / double(packs)},
            {"timed_first_looks", r.watch.timed_first_looks},
            {"timed_first_looks_done", r.watch.timed_first_looks_done},
            {"responses_429_client", r.client_429},
            {"responses_429_simulator", r.simulator_429},
            {"requests_by_operation", r.by_operation},
            {"seconds", r.summary.duration.count() / 1000.0}};
}

void print(const std::string& who, const batch_run& r, std::size_t packs) {
    const double per_pack = double(r.summary.api_requests) / double(packs);
    std::cout << "  " << who << ": " << r.summary.api_requests << " API requests (simulator "
              << r.simulator_requests << "), " << fmt(per_pack, 2)
              << " per pack = " << fmt(3600.0 / per_pack, 0)
              << " packs/hour at 3,600 requests; looks at versions " << r.watch.requests << " = "
              << fmt(double(r.watch.requests) / double(packs), 2) << " per version; 429s: client "
              << r.client_429 << ", simulator " << r.simulator_429 << "; "
              << fmt(r.summary.duration.count() / 1000.0, 1) << " s\n   ";
    for (auto& [k, v] : r.by_operation)
        std::cout << " " << std::string(k) << " " << v.to_number<std::uint64_t>();
    std::cout << "\n";
}

} // namespace

json::object scenario_polls(const settings& s, bench_env& env, const fs::path& dir) {
    const std::size_t packs = s.batch_packs;
    std::cout << "\n== polls and pacing: batches of " << packs
              << " asset-only packs of 1 MiB (existing identifiers), waited for COMPLETE; "
                 "processing 5 min median "
                 "(lognormal sigma 0.6) + 30 s, all times / "
              << fmt(time_scale, 0) << " ==\n";
    json::object out{
        {"name", "polls_and_pacing"},
        {"packs", packs},
        {"time_scale", time_scale},
        {"assumed_processing", "version: 5 min median x lognormal(sigma 0.6), file: 30 s; scaled"}};
    // Restores the simulator's timing for the scenarios that follow, however this one ends.
    struct restore_timing {
        bench_env& env;
        ~restore_timing() {
            try {
                set_timing(env, {{"uploadProcessingDelayMs", 50},
                                 {"versionProcessingDelayMs", 100},
                                 {"versionProcessingSpread", 0},
                                 {"rateLimit", 100'000'000},
                                 {"rateLimitWindowMs", 3'600'000}});
            } catch (const std::exception& e) {
                std::cout << "polls: could not restore the simulator's timing: " << e.what()
                          << "\n";
            }
        }
    } restore{env};
    try {
        // The packs exist, each with a COMPLETE version (fast processing): the measured rounds
        // publish new contents of existing identifiers.
        env.add_app(polls_app);
        {
            wf::batch_options bo;
            bo.max_concurrent_publishes = 8;
            auto setup = env.run(wf::publish_batch(*env.client, make_entries(dir, packs, 0), bo));
            if (setup.failed != 0)
                fail("polls: setting up the packs failed: " + setup.items.front().error);
        }
        set_timing(env, {{"uploadProcessingDelayMs", scaled(file_processing_ms).count()},
                         {"versionProcessingDelayMs", scaled(version_median_ms).count()},
                         {"versionProcessingSpread", version_spread}});

        // Today's policy and the timed one, both scaled.
        wf::poll_policy policy;
        policy.initial = scaled(2'000);
        policy.max = scaled(60'000);
        wf::watcher_options today;
        today.poll = policy;
        today.timed_first_looks = false;
        wf::watcher_options timed;
        timed.poll = policy;
        timed.processing.prior_base = scaled(180'000);
        timed.processing.prior_per_mib = scaled(2'000);

        auto a = run_batch(env, *env.client, make_entries(dir, packs, 1), today, "today's policy");
        auto b = run_batch(env, *env.client, make_entries(dir, packs, 2), timed, "timed looks");
        print("today's policy (a look at once, 2 s x1.5 up to 60 s)", a, packs);
        print("timed looks (learned processing time)", b, packs);
        const double ratio = double(a.summary.api_requests) / double(b.summary.api_requests);
        std::cout << "  requests per pack: " << fmt(double(b.summary.api_requests) / packs, 2)
                  << " against " << fmt(double(a.summary.api_requests) / packs, 2) << " ("
                  << fmt(ratio, 2) << "x the packs per hour)\n";
        out["today"] = describe(a, packs);
        out["timed"] = describe(b, packs);
        out["packs_per_hour_ratio"] = ratio;

        // Pacing: the batch under a limit that holds about a third of it per window, with a
        // client that knows the window (the header says "hour" whatever the window is).
        const auto window = s.check ? 3s : 6s;
        const auto limit = std::max<std::uint64_t>(
            10, static_cast<std::uint64_t>(double(b.summary.api_requests) / 3.0));
        std::cout << "paced: the timed batch again with " << limit << " requests per "
                  << window.count() << " s window (it needs about " << b.summary.api_requests
                  << "):\n";
        auto config = env.config;
        config.rate_limit_window = window;
        api::client paced(env.io.get_executor(), std::move(config));
        // The old window's count must not leak into the new one: wait it out at the new size.
        set_timing(env, {{"rateLimit", limit},
                         {"rateLimitWindowMs", std::chrono::milliseconds(window).count()}});
        std::this_thread::sleep_for(window + 200ms);
        auto c = run_batch(env, paced, make_entries(dir, packs, 3), timed, "paced");
        print("paced", c, packs);
        const auto& plan = c.summary.plan;
        std::cout << "  plan: " << (plan.available ? std::to_string(*plan.available) : "?")
                  << " of " << (plan.limit ? std::to_string(*plan.limit) : "?") << " left, about "
                  << plan.expected_requests << " needed, " << plan.extra_windows
                  << " more window(s); took " << fmt(c.summary.duration.count() / 1000.0, 1)
                  << " s\n";
        if (c.client_429 != 0 || c.simulator_429 != 0)
            fail("polls: the paced batch drew " + std::to_string(c.simulator_429) + " 429s");
        out["paced"] = describe(c, packs);
        out["paced_limit"] = limit;
        out["paced_window_seconds"] = std::int64_t(window.count());
        out["paced_plan_expected_requests"] = plan.expected_requests;
        out["paced_plan_extra_windows"] = plan.extra_windows;
    } catch (const std::exception& e) {
        std::cout << "polls failed: " << e.what() << "\n";
        out["error"] = e.what();
        if (s.check)
            throw;
    }
    return out;
}

} // namespace ascpp_bench
