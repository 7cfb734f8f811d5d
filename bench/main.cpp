// ascpp-bench: measures ascpp against curl and python3-aiohttp on the same simulator, in the
// same run, and checks every contender's result so a fast wrong answer cannot win.
//
// It starts ascpp-sim itself (loopback, TLS, generated CA and key, parts spooled to /dev/shm),
// then runs the scenarios (scenarios.hpp, one file each), prints a table and writes results.json
// (and a data file for the plot). --check is the correctness mode of the ctest test: small sizes,
// one run, and it fails only when a result is wrong, never because of a time.
//
// This file: the command line, the scenario loop, and results.json.
#include "harness.hpp"
#include "scenarios.hpp"

#include <algorithm>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <sched.h>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

using namespace ascpp_bench;

namespace {

struct plot_files {
    std::ofstream one, many; // --plot-data (upload) and --plot-data-many (upload-many)
};

// The scenarios, in the order they run whatever the order of --scenarios.
struct scenario_entry {
    const char* option;      // its name in --scenarios
    const char* result_name; // its "name" in results.json (for the entry of a failed run)
    json::object (*run)(const settings&, bench_env&, const fs::path& dir, plot_files&);
};

const scenario_entry all_scenarios[] = {
    {"upload", "upload_throughput",
     [](const settings& s, bench_env& env, const fs::path& dir, plot_files& p) {
         return scenario_upload(s, env, dir, p.one);
     }},
    {"upload-many", "upload_many_files",
     [](const settings& s, bench_env& env, const fs::path& dir, plot_files& p) {
         return scenario_upload_many(s, env, dir, p.many);
     }},
    {"api", "api_call_cost",
     [](const settings& s, bench_env& env, const fs::path& dir, plot_files&) {
         return scenario_api(s, env, dir);
     }},
    {"publish", "publish_economy",
     [](const settings& s, bench_env& env, const fs::path& dir, plot_files&) {
         return scenario_publish(s, env, dir);
     }},
    {"polls", "polls_and_pacing",
     [](const settings& s, bench_env& env, const fs::path& dir, plot_files&) {
         return scenario_polls(s, env, dir);
     }},
    {"webhooks", "webhooks",
     [](const settings& s, bench_env& env, const fs::path& dir, plot_files&) {
         return scenario_webhooks(s, env, dir);
     }},
    {"republish", "republish_unchanged",
     [](const settings& s, bench_env& env, const fs::path& dir, plot_files&) {
         return scenario_republish(s, env, dir);
     }},
    {"watch", "watch_at_scale",
     [](const settings& s, bench_env& env, const fs::path& dir, plot_files&) {
         return scenario_watch(s, env, dir);
     }},
    {"memory", "memory_bound",
     [](const settings& s, bench_env& env, const fs::path& dir, plot_files&) {
         return scenario_memory(s, env, dir);
     }},
};

std::vector<std::size_t> parse_list(const std::string& s) {
    std::vector<std::size_t> v;
    std::istringstream in(s);
    std::string item;
    while (std::getline(in, item, ','))
        v.push_back(std::stoul(item));
    return v;
}

// Writes results.json: this run's scenarios, and those of the previous file that this run did
// not run (each scenario says in which mode and under which load it was measured).
void write_results(const std::string& path, json::array scenarios, const std::string& mode,
                   unsigned cores, const json::object& load) {
    json::array kept_names;
    std::error_code ec;
    if (fs::exists(path, ec)) {
        try {
            auto old = json::parse(read_text(path)).as_object();
            std::string old_mode = old.contains("mode") && old.at("mode").is_string()
                                       ? std::string(old.at("mode").as_string())
                                       : "";
            for (auto& sc : old.at("scenarios").as_array()) {
                auto& o = sc.as_object();
                bool rerun = false;
                for (auto& n : scenarios)
                    rerun = rerun || n.as_object().at("name") == o.at("name");
                if (rerun)
                    continue;
                // A file of one run (older ones did not mark their scenarios): its top-level
                // mode and load are those of every scenario in it.
                const bool one_run = !old.contains("kept_from_previous_file");
                if (!o.contains("mode") && !old_mode.empty() && one_run)
                    o["mode"] = old_mode;
                if (!o.contains("load_average_1m") && old.contains("load_average_1m") && one_run)
                    o["load_average_1m"] = old.at("load_average_1m");
                kept_names.push_back(o.at("name"));
                scenarios.push_back(std::move(sc));
            }
        } catch (const std::exception& e) {
            std::cerr << "ascpp-bench: not keeping " << path << ": " << e.what() << "\n";
        }
    }
    json::object doc{{"mode", mode},
                     {"cores", cores},
                     {"load_average_1m", load},
                     {"kept_from_previous_file", std::move(kept_names)},
                     {"scenarios", std::move(scenarios)}};
    write_text(path, json::serialize(doc) + "\n");
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "--watch-worker") {
        try {
            return watch_worker(argv[2]);
        } catch (const std::exception& e) {
            std::cerr << "ascpp-bench --watch-worker: " << e.what() << "\n";
            return 1;
        }
    }
    settings s;
    std::optional<std::string> only;
    std::optional<std::size_t> many_files;
    std::optional<std::uint64_t> many_size_mib;
    std::optional<std::size_t> watch_versions, watch_packs;
    std::optional<std::uint64_t> memory_mib;
    std::optional<double> watch_interval_s, watch_window_s;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc)
                throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--quick")
            s.quick = true;
        else if (a == "--check")
            s.check = true;
        else if (a == "--sim")
            s.sim_binary = next();
        else if (a == "--peer-script")
            s.peer_script = next();
        else if (a == "--out")
            s.out_json = next();
        else if (a == "--plot-data")
            s.plot_data = next();
        else if (a == "--plot-data-many")
            s.plot_data_many = next();
        else if (a == "--size-mib")
            s.upload_size = std::stoull(next()) << 20;
        else if (a == "--many-files")
            many_files = std::stoul(next());
        else if (a == "--many-size-mib")
            many_size_mib = std::stoull(next());
        else if (a == "--concurrency")
            s.concurrency = parse_list(next());
        else if (a == "--reps")
            s.reps = std::stoi(next());
        else if (a == "--scenarios")
            only = next();
        else if (a == "--no-peers")
            s.peers = false;
        else if (a == "--pin")
            s.pin = true;
        else if (a == "--latency-ms")
            s.upload_latency_ms = static_cast<unsigned>(std::stoul(next()));
        else if (a == "--cli")
            s.cli_binary = next();
        else if (a == "--watch-versions")
            watch_versions = std::stoul(next());
        else if (a == "--watch-packs")
            watch_packs = std::stoul(next());
        else if (a == "--watch-interval-s")
            watch_interval_s = std::stod(next());
        else if (a == "--watch-window-s")
            watch_window_s = std::stod(next());
        else if (a == "--memory-mib")
            memory_mib = std::stoull(next());
        else {
            std::cerr << "usage: ascpp-bench --sim PATH --peer-script PATH [--cli PATH] "
                         "[--quick|--check] [--out results.json] [--plot-data FILE] "
                         "[--plot-data-many FILE] [--size-mib N] [--many-files N] "
                         "[--many-size-mib N] [--concurrency 1,4,8,16] [--reps N] "
                         "[--scenarios "
                         "upload,upload-many,api,publish,polls,webhooks,republish,watch,memory] "
                         "[--no-peers] [--pin] [--latency-ms N] "
                         "[--watch-versions N] [--watch-packs N] [--watch-interval-s S] "
                         "[--watch-window-s S] [--memory-mib N]\n";
            return 2;
        }
    }
    if (s.pin) {
        // Threads made later (the hashing pool) and children (curl, python) inherit this.
        cpu_set_t core0;
        CPU_ZERO(&core0);
        CPU_SET(0, &core0);
        if (::sched_setaffinity(0, sizeof core0, &core0) != 0) {
            std::cerr << "ascpp-bench: --pin: cannot pin to core 0\n";
            return 2;
        }
    }
    if (s.quick || s.check) {
        s.upload_size = s.check ? (12ull << 20) : (64ull << 20);
        s.reps = 1;
        s.api_calls = s.check ? 50 : 300;
        s.curl_calls = s.check ? 10 : 50;
        s.publish_size = 6ull << 20;
        s.batch_packs = s.check ? 10 : 20;
        s.republish_packs = s.check ? 10 : 20;
        s.republish_size = s.check ? (1ull << 20) : (4ull << 20);
        s.republish_changed = s.check ? 2 : 5;
        if (s.check)
            s.concurrency = {1, 4};
        s.watch_versions = s.check ? 200 : 500;
        s.watch_packs = s.check ? 2 : 5;
        s.watch_interval = s.check ? 1000ms : 2000ms;
        s.watch_window = s.check ? 3000ms : 10'000ms;
        s.memory_size = s.check ? (24ull << 20) : (256ull << 20);
        s.many_files = s.check ? 8 : 16;
        s.many_size = s.check ? (2ull << 20) : (4ull << 20);
    }
    if (many_files)
        s.many_files = std::max<std::size_t>(1, *many_files);
    if (many_size_mib)
        s.many_size = std::max<std::uint64_t>(1, *many_size_mib) << 20;
    // Every scenario unless --scenarios names some.
    std::vector<std::string> selected;
    if (!only) {
        for (auto& sc : all_scenarios)
            selected.push_back(sc.option);
    } else {
        std::istringstream in(*only);
        std::string name;
        while (std::getline(in, name, ',')) {
            if (std::none_of(std::begin(all_scenarios), std::end(all_scenarios),
                             [&](const scenario_entry& sc) { return name == sc.option; })) {
                std::cerr << "ascpp-bench: unknown scenario " << name << "\n";
                return 2;
            }
            selected.push_back(name);
        }
    }
    if (watch_versions)
        s.watch_versions = *watch_versions;
    if (watch_packs)
        s.watch_packs = std::max<std::size_t>(1, *watch_packs);
    if (watch_interval_s)
        s.watch_interval =
            std::chrono::milliseconds(static_cast<std::int64_t>(*watch_interval_s * 1000));
    if (watch_window_s)
        s.watch_window =
            std::chrono::milliseconds(static_cast<std::int64_t>(*watch_window_s * 1000));
    if (memory_mib)
        s.memory_size = *memory_mib << 20;
    if (s.cli_binary.empty() && !s.sim_binary.empty())
        s.cli_binary = (fs::path(s.sim_binary).parent_path() / "ascpp").string();
    if (s.sim_binary.empty() || s.peer_script.empty()) {
        std::cerr << "ascpp-bench: --sim and --peer-script are required\n";
        return 2;
    }
    auto dir = fs::path("/dev/shm") / ("ascpp-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    int rc = 0;
    try {
        json::array scenarios;
        std::vector<std::string> failed;
        const double load_before = load_average();
        {
            sim_process sim(s, dir);
            bench_env env(sim);
            plot_files plots;
            plots.one.open(s.plot_data.empty() ? "/dev/null" : s.plot_data, std::ios::trunc);
            plots.many.open(s.plot_data_many.empty() ? "/dev/null" : s.plot_data_many,
                            std::ios::trunc);
            for (auto& sc : all_scenarios) {
                if (std::find(selected.begin(), selected.end(), sc.option) == selected.end())
                    continue;
                // A failed scenario is reported (and fails the run) without losing the others.
                try {
                    scenarios.push_back(sc.run(s, env, dir, plots));
                } catch (const std::exception& e) {
                    std::cerr << "ascpp-bench: scenario " << sc.option << " FAILED: " << e.what()
                              << "\n";
                    failed.push_back(std::string(sc.option) + ": " + e.what());
                    scenarios.push_back(
                        json::object{{"name", sc.result_name}, {"error", e.what()}});
                }
            }
        }
        unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        const std::string mode = s.check ? "check" : s.quick ? "quick" : "full";
        const json::object load{{"start", load_before}, {"end", load_average()}};
        for (auto& sc : scenarios) {
            sc.as_object()["cores"] = cores;
            sc.as_object()["mode"] = mode;
            sc.as_object()["load_average_1m"] = load;
        }
        if (!s.out_json.empty())
            write_results(s.out_json, std::move(scenarios), mode, cores, load);
        if (!failed.empty())
            fail(std::to_string(failed.size()) + " scenario(s) failed; first: " + failed.front());
        std::cout << "\nascpp-bench: every result checked: OK\n";
    } catch (const std::exception& e) {
        std::cerr << "ascpp-bench: FAILED: " << e.what() << "\n";
        rc = 1;
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    return rc;
}
