// Republishing (scenario republish): a batch of packs published once, then again with a few of
// them changed, as a CI job does on every build. The second run must send only the changed packs'
// bytes and spend few API requests on the unchanged ones (publish compares the files' SHA-256
// with the newest version's sourceFileChecksums before it creates anything). The same second run
// with publish_options::force is the cost without the comparison. The simulator's counts of
// requests and bytes must agree with the client's in every run. Beside that, the local hashing
// the comparison costs, in s/GiB, against the upload's (a forced run not waiting for
// processing).
#include "scenarios.hpp"

#include <ascpp/upload/upload_file.hpp>
#include <ascpp/workflow/batch.hpp>

#include <iostream>

namespace ascpp_bench {

namespace wf = ascpp::workflow;
namespace upload = ascpp::upload;

namespace {

constexpr double gib = double(1ull << 30);

struct run_figures {
    wf::batch_summary summary;
    std::uint64_t sim_requests = 0;
    std::uint64_t sim_bytes = 0;
};

run_figures run_batch(bench_env& env, const std::vector<wf::batch_entry>& entries, bool force,
                      const std::string& what, bool wait = true) {
    env.reset_stats();
    wf::batch_options bo;
    bo.max_concurrent_publishes = 8;
    bo.publish.force = force;
    bo.publish.wait_for_processing = wait;
    run_figures f;
    f.summary = env.run(wf::publish_batch(*env.client, entries, std::move(bo)));
    auto st = env.stats();
    f.sim_requests = api_requests_seen(st);
    f.sim_bytes = num(st, "uploadBytesReceived");
    if (f.summary.failed != 0)
        fail("republish: " + what + ": " + std::to_string(f.summary.failed) + " packs failed");
    if (f.sim_requests != f.summary.api_requests)
        fail("republish: " + what + ": the client counted " +
             std::to_string(f.summary.api_requests) + " API requests, the simulator saw " +
             std::to_string(f.sim_requests));
    if (f.sim_bytes != f.summary.bytes_sent)
        fail("republish: " + what + ": the client sent " + std::to_string(f.summary.bytes_sent) +
             " bytes, the simulator received " + std::to_string(f.sim_bytes));
    return f;
}

} // namespace

json::object scenario_republish(const settings& s, bench_env& env, const fs::path& dir) {
    const std::size_t packs = s.republish_packs;
    const std::size_t changed = std::min(s.republish_changed, packs);
    const std::uint64_t size = s.republish_size;
    std::cout << "\n== republishing: " << packs << " packs of " << fmt(double(size) / (1 << 20), 0)
              << " MiB published, then again with " << changed
              << " changed (8 publishes at once, waited for COMPLETE) ==\n";
    json::object out{{"name", "republish_unchanged"},
                     {"packs", packs},
                     {"changed_packs", changed},
                     {"file_bytes", size}};
    try {
        env.add_app(republish_app);
        std::vector<wf::batch_entry> entries;
        for (std::size_t i = 0; i < packs; ++i) {
            auto f = dir / ("republish-" + std::to_string(i) + ".aar");
            make_file(f, size, 5000 + i);
            wf::batch_entry e;
            e.app_id = republish_app;
            e.asset_pack_identifier = pack_identifier("republish", i);
            e.asset = f;
            entries.push_back(std::move(e));
        }
        auto first = run_batch(env, entries, false, "first run");
        if (first.summary.unchanged != 0)
            fail("republish: new packs were found unchanged");
        const double first_per_pack = double(first.summary.api_requests) / double(packs);

        // Change `changed` packs, spread over the batch; the rest stay as they are.
        std::uint64_t changed_bytes = 0;
        for (std::size_t k = 0; k < changed; ++k) {
            const auto i = k * packs / changed;
            make_file(entries[i].asset, size, 90000 + i);
            changed_bytes += size;
        }
        auto second = run_batch(env, entries, false, "second run");
        const auto& sum = second.summary;
        if (sum.unchanged != packs - changed || sum.succeeded != packs)
            fail("republish: " + std::to_string(sum.unchanged) + " packs unchanged, expected " +
                 std::to_string(packs - changed));
        if (sum.bytes_sent != changed_bytes)
            fail("republish: the second run sent " + std::to_string(sum.bytes_sent) +
                 " bytes, the changed packs hold " + std::to_string(changed_bytes));
        std::uint64_t unchanged_requests = sum.lookup_api_requests;
        std::uint64_t changed_requests = 0;
        for (const auto& item : sum.items)
            (item.result->unchanged ? unchanged_requests : changed_requests) +=
                item.result->api_requests;
        const double per_unchanged = double(unchanged_requests) / double(sum.unchanged);
        if (per_unchanged > 2.5)
            fail("republish: " + fmt(per_unchanged, 2) + " API requests per unchanged pack");

        // The same second run without the comparison.
        auto forced = run_batch(env, entries, true, "forced run");
        const double forced_per_pack = double(forced.summary.api_requests) / double(packs);

        // The upload of every pack's bytes alone: forced again, without waiting for processing.
        auto sent = run_batch(env, entries, true, "forced upload", false);
        const double upload_secs = sent.summary.duration.count() / 1000.0;

        // The comparison's local hashing (SHA-256, one pass per file on the hashing pool) against
        // that upload of the same bytes.
        auto t0 = std::chrono::steady_clock::now();
        for (const auto& e : entries) {
            auto d = env.run(upload::checksum_file(e.asset, upload::hash_algorithm::sha_256));
            if (d.size != 32)
                fail("republish: no SHA-256 of " + e.asset.string());
        }
        const double hash_secs = seconds_since(t0);
        const double total_gib = double(size) * double(packs) / gib;
        const double hash_s_per_gib = hash_secs / total_gib;
        const double forced_secs = forced.summary.duration.count() / 1000.0;
        const double upload_s_per_gib = upload_secs / total_gib;

        std::cout << "first run: " << first.summary.api_requests << " API requests ("
                  << fmt(first_per_pack, 2) << " per pack), "
                  << fmt(double(first.summary.bytes_sent) / (1 << 20), 1) << " MiB sent\n"
                  << "second run: " << sum.published() << " published, " << sum.unchanged
                  << " unchanged, " << fmt(double(sum.bytes_sent) / (1 << 20), 1)
                  << " MiB sent (simulator: " << fmt(double(second.sim_bytes) / (1 << 20), 1)
                  << "), " << sum.api_requests
                  << " API requests (simulator: " << second.sim_requests
                  << "): " << fmt(per_unchanged, 2) << " per unchanged pack (shared lookup "
                  << sum.lookup_api_requests << "), " << changed_requests
                  << " for the changed ones, " << fmt(sum.duration.count() / 1000.0, 2) << " s\n"
                  << "same run forced: " << forced.summary.api_requests << " API requests ("
                  << fmt(forced_per_pack, 2) << " per pack), "
                  << fmt(double(forced.summary.bytes_sent) / (1 << 20), 1) << " MiB sent, "
                  << fmt(forced_secs, 2) << " s\n"
                  << "hashing for the comparison: " << fmt(hash_s_per_gib, 2)
                  << " s/GiB; uploading them (forced, not waited for): " << fmt(upload_s_per_gib, 2)
                  << " s/GiB\n";

        out["first_api_requests"] = first.summary.api_requests;
        out["first_api_requests_per_pack"] = first_per_pack;
        out["first_bytes_sent"] = first.summary.bytes_sent;
        out["second_published"] = sum.published();
        out["second_unchanged"] = sum.unchanged;
        out["second_bytes_sent"] = sum.bytes_sent;
        out["second_simulator_bytes"] = second.sim_bytes;
        out["second_changed_bytes"] = changed_bytes;
        out["second_api_requests"] = sum.api_requests;
        out["second_simulator_api_requests"] = second.sim_requests;
        out["second_lookup_api_requests"] = sum.lookup_api_requests;
        out["second_api_requests_per_unchanged_pack"] = per_unchanged;
        out["second_api_requests_of_changed_packs"] = changed_requests;
        out["second_seconds"] = sum.duration.count() / 1000.0;
        out["forced_api_requests"] = forced.summary.api_requests;
        out["forced_api_requests_per_pack"] = forced_per_pack;
        out["forced_bytes_sent"] = forced.summary.bytes_sent;
        out["forced_seconds"] = forced_secs;
        out["hash_seconds"] = hash_secs;
        out["hash_seconds_per_gib"] = hash_s_per_gib;
        out["upload_seconds"] = upload_secs;
        out["upload_seconds_per_gib"] = upload_s_per_gib;
    } catch (const std::exception& e) {
        std::cout << "republish failed: " << e.what() << "\n";
        out["error"] = e.what();
        if (s.check)
            throw;
    }
    return out;
}

} // namespace ascpp_bench
