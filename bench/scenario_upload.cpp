// Upload throughput (scenarios upload and upload-many): the same files sent by ascpp, curl
// --parallel and python3-aiohttp (upload_contenders.hpp) at each concurrency, contenders
// alternating within each round, every result checked; the table shows median MiB/s and client
// CPU per GiB. A run's time ends when the client is done and the simulator, on the same cores,
// has digested every part (upload_contenders.hpp); the JSON also keeps the rate until the client
// was done. Uploading is CPU-bound on loopback, so ascpp's best is also set against the
// machine's ceiling: what its cores can encrypt, decrypt and hash (openssl speed).
//
// upload sends one big file (one file's parts in parallel); upload-many sends many smaller files
// at once through one shared part limiter, which is how a batch of packs uploads.
#include "../src/upload/md5_multi.hpp"
#include "scenarios.hpp"
#include "upload_contenders.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <span>
#include <sstream>

namespace ascpp_bench {

namespace {

// What an upload scenario sends: `files` files of `file_size` bytes, reserved in `app`.
struct upload_shape {
    std::string name;  // the scenario's name in results.json
    std::string title; // what the table's heading says
    std::size_t files = 1;
    std::uint64_t file_size = 0;
    std::string app;
    std::string tag; // in the asset pack identifiers
};

// `openssl speed -evp ALG` in kB/s (1000 bytes) for 16 KiB blocks.
double openssl_speed(const fs::path& dir, const std::string& alg) {
    auto c = run_child({"openssl", "speed", "-evp", alg, "-seconds", "1", "-bytes", "16384"},
                       dir / "speed.out");
    if (c.exit_code != 0)
        fail("openssl speed " + alg + " failed");
    std::istringstream in(read_text(dir / "speed.out"));
    std::string line;
    double kbs = 0;
    while (std::getline(in, line)) {
        std::istringstream l(line);
        std::string name;
        l >> name;
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (name == alg) {
            std::string v;
            while (l >> v)
                kbs = std::strtod(v.c_str(), nullptr);
        }
    }
    if (kbs <= 0)
        fail("cannot parse openssl speed " + alg);
    return kbs * 1000;
}

// md5_multi, which can hash sixteen parts at once, in this process: every lane fed equal 64 KiB
// chunks, a fixed 2 GiB in all (under a second with AVX2). Aggregate bytes per second.
double md5_multi_speed(ascpp::upload::detail::md5_multi::kernel kernel) {
    using ascpp::upload::detail::md5_multi;
    constexpr std::size_t chunk = 64 << 10;
    constexpr std::size_t calls = (std::size_t{2} << 30) / (md5_multi::lanes * chunk);
    std::vector<unsigned char> buffer(md5_multi::lanes * chunk);
    for (std::size_t i = 0; i < buffer.size(); ++i)
        buffer[i] = static_cast<unsigned char>(i * 131 + (i >> 12));
    std::array<std::span<const unsigned char>, md5_multi::lanes> chunks;
    for (std::size_t i = 0; i < md5_multi::lanes; ++i)
        chunks[i] = std::span(buffer).subspan(i * chunk, chunk);
    md5_multi hash(kernel);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < calls; ++i)
        hash.update(chunks);
    for (std::size_t i = 0; i < md5_multi::lanes; ++i)
        if (hash.finish(i).size != 16)
            fail("md5_multi gave no digest");
    return static_cast<double>(calls * buffer.size()) / seconds_since(t0);
}

// The CPU-bound ceiling: every byte is encrypted by the client, decrypted by the simulator
// (AES-128-GCM, which the client offers first), hashed with MD5 twice (the part's MD5 by the
// client with md5_multi, its ETag by the simulator serially) and with SHA-256 once (the client's
// whole-file checksum); spread over every core. Measured once a run.
json::object cpu_limit(const fs::path& dir) {
    static json::object cached;
    if (!cached.empty())
        return cached;
    double aes = openssl_speed(dir, "aes-128-gcm");
    double sha = openssl_speed(dir, "sha256");
    double md5 = openssl_speed(dir, "md5");
    using ascpp::upload::detail::md5_multi;
    const double md5_multi_best = md5_multi_speed(md5_multi::kernel::automatic);
    const std::string md5_multi_kernel = md5_multi().kernel_name();
    // The AVX2 kernel's speed too where a wider one is picked, to show what that one adds.
    const double md5_multi_avx2 =
        md5_multi_kernel == "avx512vl" ? md5_multi_speed(md5_multi::kernel::avx2) : md5_multi_best;
    double ns_per_byte = 1e9 * (2 / aes + 1 / sha + 1 / md5 + 1 / md5_multi_best);
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    double limit = cores * 1e9 / ns_per_byte / (1 << 20);
    std::cout << "CPU limit: AES-128-GCM " << fmt(aes / 1e6, 0) << " MB/s, SHA-256 "
              << fmt(sha / 1e6, 0) << " MB/s, MD5 " << fmt(md5 / 1e6, 0) << " MB/s (md5_multi "
              << md5_multi_kernel << " " << md5_multi::lanes
              << " lanes: " << fmt(md5_multi_best / 1e6, 0)
              << " MB/s; avx2: " << fmt(md5_multi_avx2 / 1e6, 0) << " MB/s) -> "
              << fmt(ns_per_byte, 2) << " ns/byte, " << cores << " cores: " << fmt(limit, 0)
              << " MiB/s\n";
    cached = {{"aes_128_gcm_bytes_per_s", aes},
              {"sha256_bytes_per_s", sha},
              {"md5_bytes_per_s", md5},
              {"md5_multi_lanes", md5_multi::lanes},
              {"md5_multi_bytes_per_s", md5_multi_best},
              {"md5_multi_kernel", md5_multi_kernel},
              {"md5_multi_avx2_bytes_per_s", md5_multi_avx2},
              {"ns_per_byte", ns_per_byte},
              {"mib_per_s", limit},
              {"model", "cores / (2 AES-GCM + 1 SHA-256 + 1 MD5 + 1 md5_multi per byte)"}};
    return cached;
}

// The shape's files sent by each contender at each concurrency, contenders alternating within
// each round, every result checked.
json::object run_upload(const settings& s, bench_env& env, const fs::path& dir, std::ostream& plot,
                        const upload_shape& shape) {
    const auto work = dir / shape.tag;
    fs::create_directories(work);
    remove_on_exit cleanup{work};
    upload_set set;
    for (std::size_t i = 0; i < shape.files; ++i) {
        set.files.push_back(work / ("asset-" + std::to_string(i) + ".bin"));
        set.parts_dirs.push_back(work / ("parts-" + std::to_string(i)));
        make_file(set.files.back(), shape.file_size, i);
    }
    set.bytes = shape.file_size * shape.files;
    const double mib = static_cast<double>(set.bytes) / (1 << 20);
    std::vector<std::string> contenders = {"ascpp"};
    if (s.peers) {
        contenders.push_back("curl");
        contenders.push_back("curl+hash");
        contenders.push_back("aiohttp");
    }
    int serial = 0;
    bool split = false;
    json::object by_conc;
    std::cout << "\n== " << shape.title << " over TLS on loopback, " << s.reps
              << " run(s) each, median MiB/s [min-max], client CPU s/GiB, simulator CPU s/GiB "
                 "==\n";
    std::printf("%-6s", "conc");
    for (auto& c : contenders)
        std::printf(" | %-43s", c.c_str());
    std::printf(" | ascpp/curl ascpp/curl+hash ascpp/aiohttp\n");
    std::map<std::string, double> best;
    for (auto conc : s.concurrency) {
        std::map<std::string, std::vector<double>> rates, client_rates, cpus, sim_cpus;
        for (int rep = 0; rep < s.reps; ++rep) {
            for (auto& who : contenders) {
                set.reservations = reserve_files(env, shape.app, shape.tag, shape.files,
                                                 shape.file_size, ++serial);
                set.parts = 0;
                for (auto& r : set.reservations)
                    set.parts += operations(r).size();
                run_figures f;
                double sim_cpu = 0;
                if (who == "ascpp") {
                    sim_cpu = env.sim.cpu_seconds();
                    f = upload_ascpp(env, set, conc);
                } else if (who == "curl" || who == "curl+hash") {
                    if (!split) {
                        for (std::size_t i = 0; i < shape.files; ++i)
                            split_parts(set.files[i], set.parts_dirs[i],
                                        operations(set.reservations[i]));
                        split = true;
                    }
                    sim_cpu = env.sim.cpu_seconds();
                    f = upload_curl(env, set, dir, conc, who == "curl+hash");
                } else {
                    sim_cpu = env.sim.cpu_seconds();
                    f = upload_aiohttp(s, env, set, dir, conc);
                }
                sim_cpu = env.sim.cpu_seconds() - sim_cpu;
                rates[who].push_back(mib / f.seconds);
                client_rates[who].push_back(mib / f.client_seconds);
                cpus[who].push_back(f.cpu / (mib / 1024));
                sim_cpus[who].push_back(sim_cpu / (mib / 1024));
            }
        }
        json::object row;
        std::printf("%-6zu", conc);
        for (auto& who : contenders) {
            auto r = summarize(rates[who]);
            auto c = summarize(cpus[who]);
            auto sc = summarize(sim_cpus[who]);
            best[who] = std::max(best[who], r.median);
            row[who] =
                json::object{{"mib_per_s", to_json(r)},
                             {"runs_mib_per_s", to_json(rates[who])},
                             {"runs_until_client_done_mib_per_s", to_json(client_rates[who])},
                             {"client_cpu_s_per_gib", to_json(c)},
                             {"simulator_cpu_s_per_gib", to_json(sc)}};
            std::string text =
                cell(r, 1) + " cpu " + fmt(c.median, 2) + " sim " + fmt(sc.median, 2);
            std::printf(" | %-43s", text.c_str());
        }
        json::object ratios;
        auto med = [&](const std::string& w) { return summarize(rates[w]).median; };
        if (s.peers) {
            ratios["ascpp_over_curl"] = med("ascpp") / med("curl");
            ratios["ascpp_over_curl_hashing"] = med("ascpp") / med("curl+hash");
            ratios["ascpp_over_aiohttp"] = med("ascpp") / med("aiohttp");
            std::printf(" | %-10s %-15s %s", fmt(med("ascpp") / med("curl"), 2).c_str(),
                        fmt(med("ascpp") / med("curl+hash"), 2).c_str(),
                        fmt(med("ascpp") / med("aiohttp"), 2).c_str());
        }
        std::printf("\n");
        // The same runs timed until the client was done, whatever the simulator had left to do.
        auto client_med = [&](const std::string& w) { return summarize(client_rates[w]).median; };
        std::printf("%-6s", "  (c)");
        for (auto& who : contenders)
            std::printf(" | %-43s",
                        (fmt(client_med(who), 1) + " until the client was done").c_str());
        if (s.peers) {
            ratios["until_client_done_ascpp_over_curl"] = client_med("ascpp") / client_med("curl");
            ratios["until_client_done_ascpp_over_curl_hashing"] =
                client_med("ascpp") / client_med("curl+hash");
            ratios["until_client_done_ascpp_over_aiohttp"] =
                client_med("ascpp") / client_med("aiohttp");
            std::printf(" | %-10s %-15s %s",
                        fmt(client_med("ascpp") / client_med("curl"), 2).c_str(),
                        fmt(client_med("ascpp") / client_med("curl+hash"), 2).c_str(),
                        fmt(client_med("ascpp") / client_med("aiohttp"), 2).c_str());
        }
        std::printf("\n");
        std::fflush(stdout);
        row["ratios"] = std::move(ratios);
        by_conc[std::to_string(conc)] = std::move(row);
        plot << conc;
        for (auto& who : contenders)
            plot << ' ' << med(who);
        plot << '\n';
    }

    auto limit = cpu_limit(dir);
    const double limit_mib = limit.at("mib_per_s").to_number<double>();
    std::cout << shape.name << ": ascpp's best " << fmt(best["ascpp"])
              << " MiB/s = " << fmt(100 * best["ascpp"] / limit_mib, 0) << "% of the CPU limit\n";
    return {{"name", shape.name},
            {"files", shape.files},
            {"file_bytes", shape.file_size},
            {"total_bytes", set.bytes},
            {"parts_per_run", set.parts},
            {"runs_per_contender", s.reps},
            {"by_concurrency", std::move(by_conc)},
            {"cpu_limit", std::move(limit)},
            {"ascpp_best_mib_per_s", best["ascpp"]},
            {"ascpp_fraction_of_cpu_limit", best["ascpp"] / limit_mib}};
}

} // namespace

json::object scenario_upload(const settings& s, bench_env& env, const fs::path& dir,
                             std::ostream& plot) {
    upload_shape shape;
    shape.name = "upload_throughput";
    shape.title = "upload throughput: one file of " +
                  fmt(static_cast<double>(s.upload_size) / (1 << 20), 0) + " MiB";
    shape.file_size = s.upload_size;
    shape.app = env.app;
    shape.tag = "p";
    return run_upload(s, env, dir, plot, shape);
}

json::object scenario_upload_many(const settings& s, bench_env& env, const fs::path& dir,
                                  std::ostream& plot) {
    // An app of its own: a pack per run, its files one version each.
    upload_shape shape;
    shape.name = "upload_many_files";
    shape.files = s.many_files;
    shape.file_size = s.many_size;
    shape.title = "upload throughput, many files: " + std::to_string(shape.files) + " files of " +
                  fmt(static_cast<double>(s.many_size) / (1 << 20), 0) + " MiB at once";
    shape.app = many_files_app;
    shape.tag = "m";
    env.add_app(shape.app);
    return run_upload(s, env, dir, plot, shape);
}

} // namespace ascpp_bench
