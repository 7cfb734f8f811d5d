// Webhooks (scenario webhooks): a batch of asset-only packs waited to COMPLETE when the simulator
// delivers its state changes to a webhook_receiver, so the watcher polls only as a fallback. The
// API requests per pack are counted by the simulator and checked against the batch's own count.
// A second batch runs with every delivery fault on (drops, duplicates, reordering, forged
// signatures, delays): every wait must still end COMPLETE, and no forged event may be accepted.
// The receiver listens on plain HTTP on loopback (the deliveries' TLS is tested elsewhere).
#include "scenarios.hpp"

#include <ascpp/workflow/batch.hpp>
#include <ascpp/workflow/webhook_receiver.hpp>

#include <boost/json/serialize.hpp>

#include <iostream>

namespace ascpp_bench {

namespace wf = ascpp::workflow;

namespace {

const std::string webhook_secret = "bench-webhook-secret";

json::object run_batch(const settings& s, bench_env& env, const fs::path& dir,
                       const std::string& app, const std::string& label,
                       std::chrono::milliseconds fallback, const json::array& faults) {
    env.add_app(app);
    auto watcher = std::make_shared<wf::state_watcher>(*env.client);
    wf::webhook_receiver_options ro;
    ro.secret = webhook_secret;
    wf::webhook_receiver receiver(env.io.get_executor(), ro, watcher);
    auto hook =
        env.run(sim_call(*env.client, env.api_url, boost::beast::http::verb::post, "/sim/webhooks",
                         json::serialize(json::object{
                             {"url", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/"},
                             {"secret", webhook_secret}})));
    env.run(sim_call(*env.client, env.api_url, boost::beast::http::verb::put, "/sim/faults",
                     json::serialize(json::object{{"rules", faults}, {"seed", 11}})));

    std::vector<wf::batch_entry> entries;
    for (std::size_t i = 0; i < s.batch_packs; ++i) {
        auto f = dir / ("webhook-" + label + "-" + std::to_string(i) + ".aar");
        make_file(f, 1 << 20, 5000 + i);
        wf::batch_entry e;
        e.app_id = app;
        e.asset_pack_identifier = pack_identifier("hook" + label, i);
        e.asset = f;
        entries.push_back(std::move(e));
    }
    env.reset_stats();
    wf::batch_options bo;
    bo.max_concurrent_publishes = 8;
    bo.publish.watcher = watcher;
    bo.publish.watch.changes_pushed = true;
    wf::poll_policy p;
    p.initial = p.max = fallback;
    p.multiplier = 1.0;
    bo.publish.watch.poll = p;
    auto summary = env.run(wf::publish_batch(*env.client, std::move(entries), std::move(bo)));
    auto st = env.stats();
    env.run(sim_call(*env.client, env.api_url, boost::beast::http::verb::delete_, "/sim/faults"));
    env.run(sim_call(*env.client, env.api_url, boost::beast::http::verb::delete_,
                     "/sim/webhooks/" + std::string(hook.at("id").as_string())));
    receiver.stop();

    const std::uint64_t total = api_requests_seen(st);
    std::size_t complete = 0;
    for (auto& item : summary.items)
        if (item.result && item.result->version_state == "COMPLETE")
            ++complete;
    if (summary.failed != 0 || complete != s.batch_packs)
        fail("webhooks (" + label + "): " + std::to_string(complete) + " of " +
             std::to_string(s.batch_packs) + " versions ended COMPLETE");
    if (total != summary.api_requests)
        fail("webhooks (" + label + "): the batch sent " + std::to_string(summary.api_requests) +
             " API requests, the simulator saw " + std::to_string(total));
    const auto rs = receiver.stats();
    const auto ws = watcher->stats();
    const auto& hooks = st.at("webhooks").as_object();
    const double per_pack = double(total) / double(s.batch_packs);
    std::cout << label << ": " << total << " API requests (" << fmt(per_pack, 2)
              << " per pack; simulator and client agree), " << ws.requests << " of them polls, "
              << fmt(summary.duration.count() / 1000.0, 2) << " s; receiver: " << rs.accepted
              << " events, " << rs.duplicates << " duplicates, " << rs.bad_signatures
              << " forged refused; the watcher settled " << ws.pushed_results
              << " waits from events\n";
    return json::object{{"packs", s.batch_packs},
                        {"api_requests", total},
                        {"api_requests_per_pack", per_pack},
                        {"poll_requests", ws.requests},
                        {"waits_settled_by_events", ws.pushed_results},
                        {"seconds", summary.duration.count() / 1000.0},
                        {"fallback_poll_ms", fallback.count()},
                        {"events_accepted", rs.accepted},
                        {"duplicates_ignored", rs.duplicates},
                        {"forged_refused", rs.bad_signatures},
                        {"simulator_webhooks", hooks},
                        {"faults", st.at("faults")}};
}

} // namespace

json::object scenario_webhooks(const settings& s, bench_env& env, const fs::path& dir) {
    std::cout << "\n== webhooks: a batch of " << s.batch_packs
              << " asset-only packs of 1 MiB, 8 at once, waited for COMPLETE on deliveries ==\n";
    json::object out{{"name", "webhooks"}};
    try {
        out["clean"] = run_batch(s, env, dir, "9400000000", "clean", std::chrono::minutes(5), {});
        json::array faults;
        auto rule = [&](const char* kind, double rate, int delay_ms) {
            faults.push_back(json::object{
                {"route", "webhook"}, {"kind", kind}, {"rate", rate}, {"delayMs", delay_ms}});
        };
        rule("drop_delivery", 0.1, 0);
        rule("duplicate_delivery", 0.2, 0);
        rule("reorder_delivery", 0.2, 300);
        rule("bad_signature", 0.2, 0);
        rule("latency", 0.2, 200);
        out["faults"] =
            run_batch(s, env, dir, "9400000001", "faults", std::chrono::seconds(3), faults);
    } catch (const std::exception& e) {
        std::cout << "webhooks failed: " << e.what() << "\n";
        out["error"] = e.what();
        if (s.check)
            throw;
    }
    return out;
}

} // namespace ascpp_bench
