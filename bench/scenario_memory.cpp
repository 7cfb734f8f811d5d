// Memory bound (scenario memory): the peak RSS of `ascpp publish --wait` (the CLI, a child
// process; wait4's ru_maxrss) publishing a big file against a small one. ascpp streams a file in
// parts from disk, so its memory must not grow with the file's size; the growth over the small
// file is that claim's measure. Every publish is checked: version COMPLETE, every byte sent once,
// the commit's checksums verified.
#include "scenarios.hpp"

#include <iostream>
#include <map>
#include <unistd.h>

namespace ascpp_bench {

namespace {

struct cli_run {
    double seconds = 0;
    std::uint64_t max_rss = 0; // bytes
};

// `ascpp publish --wait` of `file` in a child process; its peak RSS from wait4().
cli_run publish_cli(const settings& s, bench_env& env, const fs::path& dir, const fs::path& file,
                    std::uint64_t size, const std::string& identifier) {
    std::vector<std::string> argv = {s.cli_binary,
                                     "--api-url",
                                     env.api_url,
                                     "--ca-file",
                                     env.ca_file,
                                     "--key-id",
                                     env.config.key_id,
                                     "--issuer-id",
                                     env.config.issuer_id.value_or(""),
                                     "--private-key",
                                     env.config.private_key_file.string(),
                                     "--output",
                                     "json",
                                     "--quiet",
                                     "publish",
                                     "--app",
                                     memory_app,
                                     "--identifier",
                                     identifier,
                                     "--archive",
                                     file.string(),
                                     "--wait"};
    env.reset_stats();
    auto out = dir / "publish.out";
    auto child = run_child(argv, out);
    auto text = read_text(out);
    if (child.exit_code != 0)
        fail("ascpp publish exited with " + std::to_string(child.exit_code) + ": " +
             text.substr(0, 400));
    auto doc = json::parse(text).as_object();
    auto& state = doc.at("versionState");
    if (!state.is_string() || state.as_string() != "COMPLETE")
        fail("ascpp publish: the version ended " + json::serialize(state));
    if (doc.at("bytesSent").to_number<std::uint64_t>() != size)
        fail("ascpp publish: reported " + json::serialize(doc.at("bytesSent")) +
             " bytes sent for a file of " + std::to_string(size));
    auto st = env.stats();
    const std::uint64_t part = 5ull << 20; // the simulator's default part size
    check_upload_stats(st, size, static_cast<std::size_t>((size + part - 1) / part),
                       "ascpp publish");
    if (!checksums_all_matched(st, 1))
        fail("ascpp publish: the commit's checksums were not verified as matching");
    return {child.wall, child.max_rss};
}

} // namespace

json::object scenario_memory(const settings& s, bench_env& env, const fs::path& dir) {
    const double big_mib = double(s.memory_size) / (1 << 20);
    std::cout << "\n== memory bound: peak RSS of `ascpp publish --wait` (a child process, "
                 "wait4 ru_maxrss) for a "
              << fmt(big_mib, 0) << " MiB file and a " << fmt(double(s.memory_small_size) / 1024, 0)
              << " KiB one, " << s.reps << " run(s) each ==\n";
    if (s.cli_binary.empty() || !fs::exists(s.cli_binary))
        fail("memory: the ascpp program is needed (--cli PATH), not found at '" + s.cli_binary +
             "'");
    // The big file on disk when /tmp has room (it then costs no RAM), else beside the others.
    fs::path big_dir = "/tmp";
    std::error_code ec;
    auto space = fs::space(big_dir, ec);
    if (ec || space.available < s.memory_size + (1ull << 30))
        big_dir = dir;
    env.add_app(memory_app);
    auto big = big_dir / ("ascpp-bench-memory-" + std::to_string(::getpid()) + ".aar");
    auto small = dir / "memory-small.aar";
    remove_on_exit cleanup{big};
    auto t_make = std::chrono::steady_clock::now();
    make_file(big, s.memory_size);
    make_file(small, s.memory_small_size);
    std::cout << "files written in " << fmt(seconds_since(t_make), 1) << " s (" << big.string()
              << ")\n";
    std::map<std::string, std::vector<double>> peak_mib, secs;
    int serial = 0;
    for (int rep = 0; rep < s.reps; ++rep) {
        for (const std::string who : {"big", "small"}) {
            auto id = pack_identifier("memory", static_cast<std::size_t>(++serial));
            auto r = who == "big" ? publish_cli(s, env, dir, big, s.memory_size, id)
                                  : publish_cli(s, env, dir, small, s.memory_small_size, id);
            peak_mib[who].push_back(double(r.max_rss) / (1 << 20));
            secs[who].push_back(r.seconds);
        }
    }
    auto b = summarize(peak_mib["big"]), sm = summarize(peak_mib["small"]);
    auto bt = summarize(secs["big"]);
    const double ratio = b.median / big_mib;
    std::cout << "peak RSS publishing " << fmt(big_mib, 0) << " MiB: " << fmt(b.median, 1)
              << " MiB [" << fmt(b.min, 1) << "-" << fmt(b.max, 1) << "] in " << fmt(bt.median, 1)
              << " s; publishing " << fmt(double(s.memory_small_size) / 1024, 0)
              << " KiB: " << fmt(sm.median, 1) << " MiB [" << fmt(sm.min, 1) << "-"
              << fmt(sm.max, 1) << "]\npeak RSS / file size: " << fmt(100 * ratio, 2)
              << "%; growth over the small "
              << "file: " << fmt(b.median - sm.median, 1) << " MiB\n";
    return {{"name", "memory_bound"},
            {"file_bytes", s.memory_size},
            {"small_file_bytes", s.memory_small_size},
            {"file_location", big_dir.string()},
            {"runs_per_file", s.reps},
            {"peak_rss_mib", to_json(b)},
            {"runs_peak_rss_mib", to_json(peak_mib["big"])},
            {"small_file_peak_rss_mib", to_json(sm)},
            {"runs_small_file_peak_rss_mib", to_json(peak_mib["small"])},
            {"seconds", to_json(bt)},
            {"peak_rss_over_file_size", ratio},
            {"growth_over_small_file_mib", b.median - sm.median},
            {"method", "ascpp publish --wait --quiet --output json (default concurrency 8, 5 MiB "
                       "parts) in a child process; peak RSS = wait4() ru_maxrss"}};
}

} // namespace ascpp_bench
