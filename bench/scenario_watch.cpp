// Watching at scale (scenario watch): thousands of versions held PROCESSING (the simulator's
// processing paused), each watched by one watch for a window, by ascpp's state_watcher (shared
// polls: one listing per pack) against the naive way (one GET of the version per watcher per
// interval). Per watcher: RSS and live heap, API requests and polls per minute, client CPU.
//
// Each contender runs in a fresh process of its own (`ascpp-bench --watch-worker JOB`, the
// watch_worker below) on one thread, so its memory and CPU are its own. The simulator counts the
// requests, which must match the client's count; every observation must be PROCESSING, and a
// last run resumes processing and checks that every watch then ends seeing COMPLETE.
#include "scenarios.hpp"

#include <ascpp/upload/upload_file.hpp>
#include <ascpp/workflow/state_watcher.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <malloc.h>
#include <map>
#include <optional>
#include <random>
#include <unistd.h>

namespace ascpp_bench {

namespace upload = ascpp::upload;
namespace wf = ascpp::workflow;

namespace {

// ---- the worker (a child process) --------------------------------------------------------------

// Bytes the allocator has handed out and not had back (live heap), beside RSS.
std::uint64_t heap_in_use() {
    auto m = ::mallinfo2();
    return m.uordblks + m.hblkhd;
}

std::uint64_t rss_bytes() {
    std::ifstream in("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    in >> size >> resident;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

struct watch_target {
    std::string pack, version;
};

std::string version_state(const api::background_asset_version& v) {
    return v.attributes && v.attributes->state ? v.attributes->state->str() : "";
}

// What a worker counts (one thread: plain integers).
struct worker_counts {
    std::uint64_t polls = 0;    // observations of a version's state
    std::uint64_t wrong = 0;    // observations or endings that are not what they must be
    std::uint64_t errors = 0;   // watches that ended with an unexpected error
    std::uint64_t finished = 0; // watches that ended
    std::uint64_t saw_processing = 0, completed = 0;
    std::string first_problem;
    void problem(std::string what) {
        ++wrong;
        if (first_problem.empty())
            first_problem = std::move(what);
    }
};

// The naive way: one GET of the version per watcher per interval, until the window closes.
asio::awaitable<void> naive_watch(api::client& client, std::string id,
                                  std::chrono::milliseconds interval, double jitter,
                                  std::chrono::steady_clock::time_point deadline,
                                  worker_counts& counts, std::mt19937_64& rng) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    api::background_asset_version_query q; // named: GCC 12 and temporaries in co_await
    for (int n = 0; n < 1'000'000; ++n) {
        auto doc = co_await client.get_background_asset_version(id, q);
        ++counts.polls;
        if (doc.data.id != id || version_state(doc.data) != "PROCESSING")
            counts.problem("naive: version " + id + " read as " + doc.data.id + " in state '" +
                           version_state(doc.data) + "'");
        // The watcher's schedule: the next poll after a jittered interval, none past the window.
        std::uniform_real_distribution<double> f(1.0 - jitter, 1.0 + jitter);
        auto wait = std::chrono::milliseconds(
            static_cast<std::int64_t>(static_cast<double>(interval.count()) * f(rng)));
        if (std::chrono::steady_clock::now() + wait >= deadline)
            co_return;
        timer.expires_after(wait);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

} // namespace

// One contender of the watch scenario, in a process of its own so its resident memory is its
// own. Prints one JSON object.
int watch_worker(const std::string& job_path) {
    auto job = json::parse(read_text(job_path)).as_object();
    api::client_config config;
    config.base_url = std::string(job.at("api_url").as_string());
    config.ca_file = std::string(job.at("ca_file").as_string());
    config.key_id = std::string(job.at("key_id").as_string());
    config.issuer_id = std::string(job.at("issuer_id").as_string());
    config.private_key_file = std::string(job.at("private_key_file").as_string());
    const std::string mode(job.at("mode").as_string());
    const std::chrono::milliseconds interval(job.at("interval_ms").to_number<std::int64_t>());
    const std::chrono::milliseconds window(job.at("window_ms").to_number<std::int64_t>());
    const double jitter = job.at("jitter").to_number<double>();
    std::vector<watch_target> targets;
    for (auto& t : job.at("targets").as_array())
        targets.push_back({std::string(t.as_array().at(0).as_string()),
                           std::string(t.as_array().at(1).as_string())});
    job = json::object();
    const std::size_t n = targets.size();

    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    auto client = std::make_unique<api::client>(io.get_executor(), config);
    std::unique_ptr<wf::state_watcher> watcher;
    if (mode != "naive") {
        wf::watcher_options wo;
        wo.poll.initial = interval;
        wo.poll.max = interval;
        wo.poll.multiplier = 1.0;
        wo.poll.jitter = jitter;
        watcher = std::make_unique<wf::state_watcher>(*client, wo);
    }
    std::mt19937_64 rng(42);
    worker_counts counts;

    // Baseline: everything but the watches: the client warmed up by one request (its TLS context
    // with the trusted CAs, a connection, a token), the allocator's free memory given back.
    const std::uint64_t rss_cold = rss_bytes();
    {
        auto warm = asio::co_spawn(
            io, sim_call(*client, config.base_url, boost::beast::http::verb::get, "/sim"),
            asio::use_future);
        for (int i = 0; i < 600 && warm.wait_for(0s) != std::future_status::ready; ++i)
            io.run_for(50ms);
        warm.get();
    }
    const std::uint64_t sent_before = client->stats().requests_sent;
    ::malloc_trim(0);
    const std::uint64_t rss_before = rss_bytes();
    const std::uint64_t heap_before = heap_in_use();
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> rss_peak{rss_before};
    std::thread sampler([&] {
        for (int i = 0; i < 200'000 && !stop; ++i) {
            rss_peak = std::max<std::uint64_t>(rss_peak, rss_bytes());
            std::this_thread::sleep_for(20ms);
        }
    });
    const double cpu0 = cpu_seconds_self();
    const auto t0 = std::chrono::steady_clock::now();
    const auto deadline = t0 + window;
    std::optional<std::chrono::steady_clock::time_point> resumed_at, all_done_at;

    for (std::size_t i = 0; i < n; ++i) {
        const auto& t = targets[i];
        if (mode == "naive") {
            asio::co_spawn(io,
                           naive_watch(*client, t.version, interval, jitter, deadline, counts, rng),
                           [&counts](std::exception_ptr ex) {
                               ++counts.finished;
                               if (ex) {
                                   ++counts.errors;
                                   try {
                                       std::rethrow_exception(ex);
                                   } catch (const std::exception& e) {
                                       counts.problem(std::string("naive: ") + e.what());
                                   }
                               }
                           });
            continue;
        }
        const bool complete = mode == "complete";
        wf::watch_options o;
        o.timeout = complete ? std::chrono::milliseconds(300'000) : window;
        o.background_asset_id = t.pack;
        o.on_state = [&counts, complete, id = t.version](std::string_view st) {
            if (st == "PROCESSING")
                ++counts.saw_processing;
            else if (!(complete && st == "COMPLETE"))
                counts.problem("watcher: version " + id + " seen in state " + std::string(st));
        };
        std::vector<api::background_asset_version_state> goal;
        goal.emplace_back(api::background_asset_version_state::complete);
        asio::co_spawn(io, watcher->wait_for_version(t.version, goal, o),
                       [&counts, complete, id = t.version](std::exception_ptr ex,
                                                           api::background_asset_version v) {
                           ++counts.finished;
                           if (!ex) {
                               if (complete && v.id == id && version_state(v) == "COMPLETE")
                                   ++counts.completed;
                               else
                                   counts.problem("watcher: " + id + " ended as " + v.id + " " +
                                                  version_state(v));
                               return;
                           }
                           try {
                               std::rethrow_exception(ex);
                           } catch (const wf::watch_error& e) {
                               // In the measured window every watch must time out still
                               // watching a PROCESSING version.
                               if (complete || e.why() != wf::watch_error::reason::timed_out ||
                                   e.last_state() != "PROCESSING")
                                   counts.problem(std::string("watcher: ") + e.what());
                           } catch (const std::exception& e) {
                               ++counts.errors;
                               counts.problem(std::string("watcher: ") + e.what());
                           }
                       });
    }
    // Bounded: the window, or for "complete" every watch seeing PROCESSING, then processing
    // resumed and every version COMPLETE (5 minutes at most).
    const auto limit = t0 + (mode == "complete" ? std::chrono::milliseconds(330'000)
                                                : window + std::chrono::milliseconds(120'000));
    // RSS and live heap in the middle of the window, every watch (of either kind) still running.
    std::optional<std::uint64_t> rss_mid, heap_mid;
    while (counts.finished < n && std::chrono::steady_clock::now() < limit) {
        io.run_for(50ms);
        if (!rss_mid && mode != "complete" && std::chrono::steady_clock::now() > t0 + window / 2) {
            rss_mid = rss_bytes();
            heap_mid = heap_in_use();
        }
        if (mode == "complete" && !resumed_at && counts.saw_processing >= n) {
            // Every watch has seen PROCESSING: let the simulator finish the versions.
            resumed_at = std::chrono::steady_clock::now();
            asio::co_spawn(io,
                           sim_call(*client, config.base_url, boost::beast::http::verb::post,
                                    "/sim/processing", R"({"paused":false})"),
                           asio::detached);
        }
    }
    all_done_at = std::chrono::steady_clock::now();
    // Requests the watcher started for polls that no longer wait (at the window's end) finish.
    for (int i = 0; i < 20; ++i)
        io.run_for(50ms);
    const double cpu = cpu_seconds_self() - cpu0;
    stop = true;
    sampler.join();
    json::object out{{"mode", mode},
                     {"watchers", n},
                     {"finished", counts.finished},
                     {"rss_cold", rss_cold},
                     {"rss_before", rss_before},
                     {"rss_peak", rss_peak.load()},
                     {"rss_mid", rss_mid.value_or(0)},
                     {"heap_before", heap_before},
                     {"heap_mid", heap_mid.value_or(0)},
                     {"cpu_seconds", cpu},
                     {"seconds", std::chrono::duration<double>(*all_done_at - t0).count()},
                     {"client_requests_sent", client->stats().requests_sent - sent_before},
                     {"wrong", counts.wrong},
                     {"errors", counts.errors},
                     {"first_problem", counts.first_problem},
                     {"saw_processing", counts.saw_processing},
                     {"completed", counts.completed}};
    if (resumed_at)
        out["seconds_after_resume"] =
            std::chrono::duration<double>(*all_done_at - *resumed_at).count();
    if (watcher) {
        auto st = watcher->stats();
        out["polls"] = st.polls;
        out["requests"] = st.requests;
        out["listing_requests"] = st.listing_requests;
        out["shared_polls"] = st.shared_polls;
        out["failed_polls"] = st.failed_polls;
    } else {
        out["polls"] = counts.polls;
        out["requests"] = counts.polls;
    }
    std::cout << json::serialize(out) << std::endl;
    watcher.reset();
    client.reset();
    guard.reset();
    io.run_for(100ms);
    return 0;
}

namespace {

// ---- the scenario (the bench's own process) ----------------------------------------------------

// Creates the versions to watch: `watch_versions` of them over `watch_packs` packs, each with a
// tiny committed archive, while processing is paused, so they all stay PROCESSING.
std::vector<watch_target> make_processing_versions(const settings& s, bench_env& env,
                                                   const fs::path& dir) {
    auto tiny = dir / "tiny.aar";
    write_text(tiny, std::string(100, 'x'));
    std::vector<std::string> packs;
    // Apps of their own, 100 packs each (the most an app may have live).
    for (std::size_t a = 0; a * 100 < s.watch_packs; ++a)
        env.add_app(std::to_string(watch_apps_base + a));
    env.run([&]() -> asio::awaitable<void> {
        for (std::size_t p = 0; p < s.watch_packs; ++p) {
            api::background_asset_create_request req;
            req.app_id = std::to_string(watch_apps_base + p / 100);
            req.asset_pack_identifier = pack_identifier("watch", p);
            auto pack = co_await env.client->create_background_asset(std::move(req));
            packs.push_back(pack.data.id);
        }
    }());
    std::vector<watch_target> targets(s.watch_versions);
    std::size_t next = 0; // the io thread alone touches it
    auto worker = [&]() -> asio::awaitable<void> {
        for (std::size_t i = next++; i < targets.size(); i = next++) {
            const auto& pack = packs[i % packs.size()];
            api::background_asset_version_create_request vr;
            vr.background_asset_id = pack;
            auto v = co_await env.client->create_background_asset_version(std::move(vr));
            upload::reserve_request rr;
            rr.background_asset_version_id = v.data.id;
            rr.path = tiny;
            upload::upload_options uo;
            co_await upload::reserve_and_upload(*env.client, rr, uo);
            targets[i] = {pack, v.data.id};
        }
    };
    std::vector<std::future<void>> running;
    for (int k = 0; k < 16; ++k)
        running.push_back(asio::co_spawn(env.io, worker(), asio::use_future));
    for (auto& f : running)
        f.get();
    return targets;
}

// Runs one contender (`mode`: watcher, naive, or complete) in a worker process; its JSON output.
json::object run_watch_worker(const settings& s, bench_env& env, const fs::path& dir,
                              const std::string& mode, const std::vector<watch_target>& targets) {
    json::array list;
    for (auto& t : targets)
        list.push_back(json::array{t.pack, t.version});
    json::object job{{"mode", mode},
                     {"api_url", env.api_url},
                     {"ca_file", env.ca_file},
                     {"key_id", env.config.key_id},
                     {"issuer_id", env.config.issuer_id.value_or("")},
                     {"private_key_file", env.config.private_key_file.string()},
                     {"interval_ms", mode == "complete" ? 1000 : s.watch_interval.count()},
                     {"window_ms", s.watch_window.count()},
                     {"jitter", 0.2},
                     {"targets", std::move(list)}};
    write_text(dir / "watch-job.json", json::serialize(job), true);
    auto self = fs::read_symlink("/proc/self/exe").string();
    auto c = run_child({self, "--watch-worker", (dir / "watch-job.json").string()},
                       dir / "watch-job.out");
    fs::remove(dir / "watch-job.json");
    if (c.exit_code != 0)
        fail(mode + " worker exited with " + std::to_string(c.exit_code));
    return json::parse(read_text(dir / "watch-job.out")).as_object();
}

} // namespace

json::object scenario_watch(const settings& s, bench_env& env, const fs::path& dir) {
    const std::size_t n = s.watch_versions;
    const double interval_s = std::chrono::duration<double>(s.watch_interval).count();
    std::cout << "\n== watching at scale: " << n << " versions PROCESSING in " << s.watch_packs
              << " packs, one watcher each, polled every " << fmt(interval_s, 0)
              << " s (+-20% jitter) for " << fmt(s.watch_window.count() / 1000.0, 0) << " s, "
              << s.reps << " run(s) each; state_watcher vs one GET per watcher ==\n";
    env.pause_processing(true);
    struct resume_on_exit {
        bench_env& env;
        ~resume_on_exit() {
            try {
                env.pause_processing(false);
            } catch (...) {
            }
        }
    } resume{env};
    auto t_setup = std::chrono::steady_clock::now();
    auto targets = make_processing_versions(s, env, dir);
    std::cout << "setup: " << n << " versions created and committed in "
              << fmt(seconds_since(t_setup), 1) << " s\n";

    std::map<std::string, std::vector<double>> rss_per, rss_mid_per, heap_per, cpu_us_per_poll,
        req_per_min, polls_per_min, cpu_ms_per_min;
    json::object runs{{"watcher", json::array()}, {"naive", json::array()}};
    for (int rep = 0; rep < s.reps; ++rep) {
        // Alternate which contender goes first.
        std::vector<std::string> order = {"watcher", "naive"};
        if (rep % 2)
            std::swap(order[0], order[1]);
        for (auto& who : order) {
            env.reset_stats();
            auto r = run_watch_worker(s, env, dir, who, targets);
            auto st = env.stats();
            const std::uint64_t seen = api_requests_seen(st);
            const std::uint64_t made = r.at("requests").to_number<std::uint64_t>();
            const std::uint64_t sent = r.at("client_requests_sent").to_number<std::uint64_t>();
            const std::uint64_t polls = r.at("polls").to_number<std::uint64_t>();
            if (num(r, "wrong") != 0)
                fail(who + ": " + std::to_string(num(r, "wrong")) + " wrong observations; first: " +
                     std::string(r.at("first_problem").as_string()));
            if (num(r, "finished") != n)
                fail(who + ": " + std::to_string(num(r, "finished")) + " of " + std::to_string(n) +
                     " watches ended within the time allowed");
            if (who == "watcher" && num(r, "saw_processing") != n)
                fail("watcher: " + std::to_string(num(r, "saw_processing")) + " of " +
                     std::to_string(n) + " watches observed the PROCESSING state");
            // Every request the client sent reached the simulator, and no other did; the
            // contender's own count is of those.
            if (seen != sent || made > sent)
                fail(who + ": made " + std::to_string(made) + " API requests (client sent " +
                     std::to_string(sent) + "), the simulator counted " + std::to_string(seen));
            // Watching means observing each version more than once.
            if (polls < 2 * n)
                fail(who + ": " + std::to_string(polls) + " polls for " + std::to_string(n) +
                     " watchers: not watching");
            // Both contenders poll over the same window; one that fell behind took longer.
            const double secs = std::max(r.at("seconds").to_number<double>(),
                                         std::chrono::duration<double>(s.watch_window).count());
            const double rss_delta = double(num(r, "rss_peak")) - double(num(r, "rss_before"));
            const double cpu = r.at("cpu_seconds").to_number<double>();
            rss_per[who].push_back(rss_delta / double(n));
            heap_per[who].push_back((double(num(r, "heap_mid")) - double(num(r, "heap_before"))) /
                                    double(n));
            rss_mid_per[who].push_back((double(num(r, "rss_mid")) - double(num(r, "rss_before"))) /
                                       double(n));
            cpu_us_per_poll[who].push_back(1e6 * cpu / double(polls));
            req_per_min[who].push_back(double(seen) / double(n) / (secs / 60));
            polls_per_min[who].push_back(double(polls) / double(n) / (secs / 60));
            cpu_ms_per_min[who].push_back(1e3 * cpu / double(n) / (secs / 60));
            r["simulator_api_requests"] = seen;
            runs[who].as_array().push_back(std::move(r));
        }
    }

    // Correctness of the watcher beyond an unchanging state: resume processing once every watch
    // has seen PROCESSING; every watch must then end with its version COMPLETE.
    env.reset_stats();
    auto done = run_watch_worker(s, env, dir, "complete", targets);
    if (num(done, "wrong") != 0 || num(done, "completed") != n)
        fail("watcher: " + std::to_string(num(done, "completed")) + " of " + std::to_string(n) +
             " watches saw their version COMPLETE after processing resumed; " +
             std::string(done.at("first_problem").as_string()));
    const auto done_seen = api_requests_seen(env.stats());
    if (done_seen != num(done, "requests"))
        fail("watcher (completion): made " + std::to_string(num(done, "requests")) +
             " API requests, the simulator counted " + std::to_string(done_seen));

    json::object figures;
    std::printf("%-8s | %-26s | %-24s | %-24s | %-22s | %-20s\n", "", "RSS bytes/watcher",
                "API requests/watcher/min", "polls/watcher/min", "client CPU us/poll",
                "CPU ms/watcher/min");
    for (const std::string who : {"watcher", "naive"}) {
        auto a = summarize(rss_per[who]), b = summarize(req_per_min[who]),
             c = summarize(polls_per_min[who]), d = summarize(cpu_us_per_poll[who]),
             e = summarize(cpu_ms_per_min[who]);
        figures[who] = json::object{
            {"rss_bytes_per_watcher", to_json(a)},
            {"rss_mid_window_bytes_per_watcher", to_json(summarize(rss_mid_per[who]))},
            {"heap_in_use_mid_window_bytes_per_watcher", to_json(summarize(heap_per[who]))},
            {"api_requests_per_watcher_per_min", to_json(b)},
            {"polls_per_watcher_per_min", to_json(c)},
            {"cpu_us_per_poll", to_json(d)},
            {"cpu_ms_per_watcher_per_min", to_json(e)}};
        std::printf("%-8s | %-26s | %-24s | %-24s | %-22s | %-20s\n", who.c_str(),
                    cell(a, 0).c_str(), cell(b, 3).c_str(), cell(c, 2).c_str(), cell(d, 1).c_str(),
                    cell(e, 3).c_str());
    }
    auto med = [](const std::vector<double>& v) { return summarize(v).median; };
    json::object ratios{
        {"naive_over_watcher_api_requests",
         med(req_per_min["naive"]) / med(req_per_min["watcher"])},
        {"naive_over_watcher_rss_per_watcher", med(rss_per["naive"]) / med(rss_per["watcher"])},
        {"naive_over_watcher_cpu_per_poll",
         med(cpu_us_per_poll["naive"]) / med(cpu_us_per_poll["watcher"])},
        {"naive_over_watcher_cpu_per_watcher_minute",
         med(cpu_ms_per_min["naive"]) / med(cpu_ms_per_min["watcher"])}};
    std::cout << "ratios naive / state_watcher: API requests "
              << fmt(ratios.at("naive_over_watcher_api_requests").as_double(), 1) << "x, RSS "
              << fmt(ratios.at("naive_over_watcher_rss_per_watcher").as_double(), 2)
              << "x, CPU per poll "
              << fmt(ratios.at("naive_over_watcher_cpu_per_poll").as_double(), 1)
              << "x, CPU per watcher-minute "
              << fmt(ratios.at("naive_over_watcher_cpu_per_watcher_minute").as_double(), 1)
              << "x\n";
    std::cout << "live heap (mallinfo2) per watcher in the middle of the window: state_watcher "
              << fmt(med(heap_per["watcher"]), 0) << " bytes, naive "
              << fmt(med(heap_per["naive"]), 0) << " bytes\n";
    std::cout << "completion check: processing resumed after every watch saw PROCESSING; all " << n
              << " watches saw COMPLETE within "
              << fmt(done.at("seconds_after_resume").to_number<double>(), 1) << " s, "
              << num(done, "requests") << " API requests\n";
    return {{"name", "watch_at_scale"},
            {"versions", n},
            {"packs", s.watch_packs},
            {"interval_s", interval_s},
            {"jitter", 0.2},
            {"window_s", s.watch_window.count() / 1000.0},
            {"runs_per_contender", s.reps},
            {"figures", std::move(figures)},
            {"ratios", std::move(ratios)},
            {"runs", std::move(runs)},
            {"completion_check", std::move(done)},
            {"method",
             "each contender in a fresh process (ascpp-bench --watch-worker) on one thread; RSS "
             "delta = peak RSS during the window (sampled every 20 ms) minus RSS before the "
             "watches started (after one warm-up request and malloc_trim); rss_mid and heap_mid "
             "(mallinfo2 live bytes): in the middle of the window, every watch running; CPU = the "
             "worker's getrusage over the window; "
             "API requests counted by the simulator (/sim/stats) and checked against the "
             "client's count"}};
}

} // namespace ascpp_bench
