// Publish economy (scenario publish): how many API requests ascpp's publish flow makes, counted
// by the simulator and checked against the flow's own count. One pack (create the pack and a
// version, reserve, upload, commit, wait for COMPLETE) against the least the flow can take; then
// a batch of packs, whose versions share one watcher, so its cost per pack should stay that of a
// pack on its own. Every commit's checksums must be verified as matching.
#include "scenarios.hpp"

#include <ascpp/workflow/batch.hpp>
#include <ascpp/workflow/publish.hpp>

#include <iostream>

namespace ascpp_bench {

namespace wf = ascpp::workflow;

json::object scenario_publish(const settings& s, bench_env& env, const fs::path& dir) {
    auto file = dir / "publish.aar";
    make_file(file, s.publish_size);
    std::cout << "\n== publish economy: one pack of " << fmt(double(s.publish_size) / (1 << 20), 0)
              << " MiB, published and waited for COMPLETE ==\n";
    json::object out{{"name", "publish_economy"}, {"file_bytes", s.publish_size}};
    try {
        env.reset_stats();
        wf::publish_request req;
        req.app_id = env.app;
        req.asset_pack_identifier = pack_identifier("publish");
        req.asset = file;
        auto t0 = std::chrono::steady_clock::now();
        auto res = env.run(wf::publish(*env.client, req, {}));
        double secs = seconds_since(t0);
        auto st = env.stats();
        json::object per_op = api_requests_by_operation(st);
        const std::uint64_t api_total = api_requests_seen(st);
        if (res.version_state != "COMPLETE")
            fail("publish: the version ended " + res.version_state);
        check_upload_stats(st, s.publish_size, res.uploads.at(0).stats.parts, "publish");
        if (!checksums_all_matched(st, 1))
            fail("publish: the commit's checksums were not verified as matching");
        if (api_total != res.api_requests)
            fail("publish: reported " + std::to_string(res.api_requests) +
                 " API requests, the simulator saw " + std::to_string(api_total));
        // Create pack, create version, reserve, commit, one poll: the least the flow can take
        // (a manifest, when asked for, adds a reservation and a commit).
        const std::uint64_t minimum = 5;
        std::cout << "API requests: " << res.api_requests << " (simulator: " << api_total
                  << "; minimum of the flow " << minimum << "), " << fmt(secs, 2) << " s\n";
        for (auto& [k, v] : per_op)
            std::cout << "  " << std::string(k) << ": " << v.to_number<std::uint64_t>() << "\n";
        out["api_requests"] = res.api_requests;
        out["simulator_api_requests"] = api_total;
        out["requests_by_operation"] = std::move(per_op);
        out["minimum_requests"] = minimum;
        out["ratio_to_minimum"] = double(res.api_requests) / minimum;
        out["seconds"] = secs;

        // A batch, in an app of its own (an app holds at most 100 live packs): the watcher is
        // shared, so the versions' polls become one listing per pack.
        env.add_app(batch_app);
        std::vector<wf::batch_entry> entries;
        for (std::size_t i = 0; i < s.batch_packs; ++i) {
            auto f = dir / ("batch-" + std::to_string(i) + ".aar");
            make_file(f, 1 << 20, 1000 + i);
            wf::batch_entry e;
            e.app_id = batch_app;
            e.asset_pack_identifier = pack_identifier("batch", i);
            e.asset = f;
            entries.push_back(std::move(e));
        }
        std::cout << "batch of " << s.batch_packs
                  << " packs of 1 MiB, 8 publishes at once, waited for COMPLETE:\n";
        env.reset_stats();
        wf::batch_options bo;
        bo.max_concurrent_publishes = 8;
        auto summary = env.run(wf::publish_batch(*env.client, std::move(entries), std::move(bo)));
        auto bst = env.stats();
        const std::uint64_t batch_total = api_requests_seen(bst);
        if (summary.succeeded != s.batch_packs || summary.failed != 0)
            fail("publish: the batch had " + std::to_string(summary.failed) + " failures");
        if (!checksums_all_matched(bst, s.batch_packs))
            fail("publish: the batch's checksums were not all verified as matching");
        if (batch_total != summary.api_requests)
            fail("publish: the batch sent " + std::to_string(summary.api_requests) +
                 " API requests, the simulator saw " + std::to_string(batch_total));
        const double per_pack = double(batch_total) / double(s.batch_packs);
        std::cout << "API requests: " << batch_total << " (" << fmt(per_pack, 2)
                  << " per pack, against " << res.api_requests << " for a pack on its own), "
                  << fmt(summary.duration.count() / 1000.0, 2) << " s\n";
        out["batch_packs"] = s.batch_packs;
        out["batch_api_requests"] = batch_total;
        out["batch_api_requests_per_pack"] = per_pack;
        out["batch_seconds"] = summary.duration.count() / 1000.0;
    } catch (const std::exception& e) {
        std::cout << "publish failed: " << e.what() << "\n";
        out["error"] = e.what();
        if (s.check)
            throw;
    }
    return out;
}

} // namespace ascpp_bench
