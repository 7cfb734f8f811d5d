// ascpp-bench: measures ascpp against curl and python3-aiohttp on the same simulator, in the
// same run, and checks every contender's result so a fast wrong answer cannot win.
//
// It starts ascpp-sim itself (loopback, TLS, generated CA and key, parts spooled to /dev/shm),
// then runs the scenarios, prints a table and writes results.json (and a data file for the plot).
// --check is the correctness mode of the ctest test: small sizes, one run, and it fails only when
// a result is wrong, never because of a time.
#include <ascpp/api/client.hpp>
#include <ascpp/upload/upload_file.hpp>
#include <ascpp/workflow/batch.hpp>
#include <ascpp/workflow/publish.hpp>
#include <ascpp/workflow/state_watcher.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <malloc.h>
#include <map>
#include <optional>
#include <random>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
namespace api = ascpp::api;
namespace upload = ascpp::upload;
namespace wf = ascpp::workflow;
using namespace std::chrono_literals;

namespace {

struct settings {
    bool quick = false;
    bool check = false; // correctness only (ctest)
    std::string sim_binary;
    std::string peer_script;
    std::string out_json;
    std::string plot_data;
    std::uint64_t upload_size = 1ull << 30;
    // Many files: `many_files` files of `many_size` bytes each, sent concurrently.
    std::size_t many_files = 64;
    std::uint64_t many_size = 16ull << 20;
    std::string plot_data_many;
    std::vector<std::size_t> concurrency = {1, 4, 8, 16};
    int reps = 3;
    int api_calls = 2000;
    int curl_calls = 100;
    std::uint64_t publish_size = 32ull << 20;
    std::size_t batch_packs = 100; // publish economy: the batch's packs (1 MiB each)
    bool peers = true;
    // Watching at scale: versions kept PROCESSING, spread over packs, each watched by one watch.
    std::size_t watch_versions = 10'000;
    std::size_t watch_packs = 100;
    std::chrono::milliseconds watch_interval{10'000};
    std::chrono::milliseconds watch_window{60'000};
    // Memory bound: peak RSS of `ascpp publish` of a big file against a small one.
    std::string cli_binary;
    std::uint64_t memory_size = 4ull << 30;
    std::uint64_t memory_small_size = 1ull << 20;
};

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what);
}

double cpu_seconds_self() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_text(const fs::path& p, const std::string& text, bool secret = false) {
    auto old = secret ? ::umask(077) : ::umask(022);
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    ::umask(old);
    out << text;
    if (!out)
        fail("cannot write " + p.string());
}

struct child_result {
    int exit_code = -1;
    double wall = 0;           // seconds
    double cpu = 0;            // user + system seconds of the child
    std::uint64_t max_rss = 0; // the child's peak resident size, bytes
};

// Runs a program to completion; its stdout goes to `out` (or /dev/null), stderr is inherited.
child_result run_child(const std::vector<std::string>& argv, const fs::path& out = {}) {
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    auto start = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    if (pid < 0)
        fail("fork failed");
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM); // ends with the bench, even a killed one
        int fd =
            ::open(out.empty() ? "/dev/null" : out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            ::dup2(fd, 1);
        ::execvp(args[0], args.data());
        std::perror(args[0]);
        ::_exit(127);
    }
    int status = 0;
    rusage u{};
    ::wait4(pid, &status, 0, &u);
    child_result r;
    r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.cpu = u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
    r.max_rss = static_cast<std::uint64_t>(u.ru_maxrss) * 1024; // Linux: KiB
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

// ascpp-sim as a child process, stopped (SIGTERM) on destruction.
class sim_process {
public:
    sim_process(const settings& s, const fs::path& dir) {
        fs::create_directories(dir / "sim");
        auto info = dir / "info.json";
        std::vector<std::string> argv = {s.sim_binary,
                                         "--generate-key",
                                         (dir / "keys").string(),
                                         "--info-file",
                                         info.string(),
                                         "--work-dir",
                                         (dir / "sim").string(),
                                         "--rate-limit",
                                         "100000000",
                                         "--upload-processing-delay",
                                         "50ms",
                                         "--version-processing-delay",
                                         "100ms",
                                         "--threads",
                                         "2"};
        std::vector<char*> args;
        for (auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0)
            fail("fork failed");
        if (pid_ == 0) {
            // The simulator stops with the bench, even when the bench is killed (a test timeout).
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            int fd = ::open((dir / "sim.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd >= 0)
                ::dup2(fd, 1);
            ::execv(args[0], args.data());
            std::perror(args[0]);
            ::_exit(127);
        }
        for (int i = 0; i < 300 && !fs::exists(info); ++i) {
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = -1;
                fail("ascpp-sim exited early; see " + (dir / "sim.log").string());
            }
            std::this_thread::sleep_for(50ms);
        }
        if (!fs::exists(info))
            fail("ascpp-sim did not start within 15 s");
        info_ = json::parse(read_text(info)).as_object();
    }
    ~sim_process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int st = 0;
            // Bounded: 10 s to stop, then SIGKILL (and say so: the simulator should stop).
            for (int i = 0; i < 200; ++i) {
                if (::waitpid(pid_, &st, WNOHANG) == pid_)
                    return;
                std::this_thread::sleep_for(50ms);
            }
            std::cerr << "ascpp-bench: ascpp-sim did not stop within 10 s of SIGTERM; killed\n";
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &st, 0);
        }
    }
    std::string str(const char* k) const { return std::string(info_.at(k).as_string()); }
    const json::object& key() const { return info_.at("keys").as_array().at(0).as_object(); }

private:
    pid_t pid_ = -1;
    json::object info_;
};

// A call to the simulator's control API (/sim/...) through the client's transport.
asio::awaitable<json::object> sim_call(api::client& client, std::string api_url,
                                       boost::beast::http::verb method, std::string path,
                                       std::string body = std::string()) {
    ascpp::http::request req;
    req.method = method;
    req.url = boost::urls::url(api_url + path);
    if (!body.empty()) {
        req.headers.set(boost::beast::http::field::content_type, "application/json");
        req.body = std::move(body);
    }
    auto res = co_await client.http().send(std::move(req));
    if (res.status < 200 || res.status > 299)
        throw std::runtime_error(path + ": HTTP " + std::to_string(res.status));
    co_return json::parse(res.body).as_object();
}

// The client side: an api::client on an io_context run by one thread of its own.
struct bench_env {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::unique_ptr<api::client> client;
    std::thread thread;
    std::string api_url, ca_file, app = "1234567890";
    api::client_config config; // what `client` was built with

    explicit bench_env(const sim_process& sim) {
        api_url = sim.str("apiUrl");
        ca_file = sim.str("caFile");
        api::client_config c;
        c.base_url = api_url;
        c.ca_file = ca_file;
        c.key_id = std::string(sim.key().at("keyId").as_string());
        c.issuer_id = std::string(sim.key().at("issuerId").as_string());
        c.private_key_file = std::string(sim.key().at("privateKeyFile").as_string());
        config = c;
        client = std::make_unique<api::client>(io.get_executor(), std::move(c));
        thread = std::thread([this] {
            io.run();
            stopped = true;
        });
    }
    ~bench_env() {
        client.reset();
        guard.reset();
        // Bounded: work left behind on the io_context (a timer re-armed forever) must not hang
        // the bench; 10 s, then stop it and say so.
        for (int i = 0; i < 200 && !stopped; ++i)
            std::this_thread::sleep_for(50ms);
        if (!stopped) {
            std::cerr << "ascpp-bench: the client's io_context still had work 10 s after the "
                         "client was destroyed; stopped\n";
            io.stop();
        }
        thread.join();
    }
    std::atomic<bool> stopped{false};
    template <class T>
    T run(asio::awaitable<T> op) {
        return asio::co_spawn(io, std::move(op), asio::use_future).get();
    }

    json::object stats() {
        return run(sim_call(*client, api_url, boost::beast::http::verb::get, "/sim/stats"));
    }
    void reset_stats() {
        run(sim_call(*client, api_url, boost::beast::http::verb::post, "/sim/stats/reset"));
    }
    // An app of the simulator's (POST /sim/apps): a scenario of many packs gets apps of its own,
    // as an app holds at most 100 live asset packs.
    void add_app(const std::string& id) {
        run(sim_call(*client, api_url, boost::beast::http::verb::post, "/sim/apps",
                     json::serialize(json::object{{"id", id}})));
    }
    // Holds (true) or releases the simulator's state-machine timers (POST /sim/processing).
    void pause_processing(bool paused) {
        run(sim_call(*client, api_url, boost::beast::http::verb::post, "/sim/processing",
                     paused ? R"({"paused":true})" : R"({"paused":false})"));
    }
};

std::uint64_t num(const json::object& o, std::string_view k) {
    auto* v = o.if_contains(k);
    return v ? v->to_number<std::uint64_t>() : 0;
}

struct summary {
    double median = 0, min = 0, max = 0;
};
summary summarize(std::vector<double> v) {
    if (v.empty())
        return {};
    std::sort(v.begin(), v.end());
    auto n = v.size();
    double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return {med, v.front(), v.back()};
}
json::object to_json(const summary& s) {
    return {{"median", s.median}, {"min", s.min}, {"max", s.max}};
}

// A fresh asset pack of `app` with `n` versions, each with a reservation of `size` bytes.
std::vector<api::background_asset_upload_file> reserve_files(bench_env& env, const std::string& app,
                                                             const std::string& tag, std::size_t n,
                                                             std::uint64_t size, int serial) {
    return env.run([&]() -> asio::awaitable<std::vector<api::background_asset_upload_file>> {
        api::background_asset_create_request pack_req;
        pack_req.app_id = app;
        pack_req.asset_pack_identifier =
            "com.example.bench." + tag + std::to_string(serial) + "." + std::to_string(::getpid());
        auto pack = co_await env.client->create_background_asset(std::move(pack_req));
        std::vector<api::background_asset_upload_file> out;
        for (std::size_t i = 0; i < n; ++i) {
            api::background_asset_version_create_request ver_req;
            ver_req.background_asset_id = pack.data.id;
            auto version = co_await env.client->create_background_asset_version(std::move(ver_req));
            api::background_asset_upload_file_create_request uf;
            uf.background_asset_version_id = version.data.id;
            uf.asset_type = api::asset_type::asset;
            uf.file_name = "asset.bin";
            uf.file_size = static_cast<std::int64_t>(size);
            auto r = co_await env.client->create_background_asset_upload_file(std::move(uf));
            out.push_back(std::move(r.data));
        }
        co_return out;
    }());
}

const std::vector<api::delivery_file_upload_operation>&
operations(const api::background_asset_upload_file& f) {
    if (!f.attributes || !f.attributes->upload_operations)
        fail("the reservation has no upload operations");
    return *f.attributes->upload_operations;
}

// Pseudo-random bytes; files of different seeds differ.
void make_file(const fs::path& p, std::uint64_t size, std::uint64_t seed = 0) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    std::vector<char> buf(1 << 20);
    std::uint64_t x = 0x9e3779b97f4a7c15ull ^ (seed * 0xbf58476d1ce4e5b9ull);
    for (std::uint64_t done = 0; done < size;) {
        for (std::size_t i = 0; i < buf.size(); i += 8) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            std::memcpy(&buf[i], &x, 8);
        }
        auto n = std::min<std::uint64_t>(buf.size(), size - done);
        out.write(buf.data(), static_cast<std::streamsize>(n));
        done += n;
    }
    if (!out)
        fail("cannot write " + p.string());
}

// Pre-split parts for curl, named by offset (part sizes are the same in every reservation).
void split_parts(const fs::path& file, const fs::path& dir,
                 const std::vector<api::delivery_file_upload_operation>& ops) {
    fs::create_directories(dir);
    std::ifstream in(file, std::ios::binary);
    std::vector<char> buf;
    for (auto& op : ops) {
        auto p = dir / ("part-" + std::to_string(*op.offset));
        if (fs::exists(p))
            continue;
        buf.resize(static_cast<std::size_t>(*op.length));
        in.seekg(*op.offset);
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    }
}

std::string cfg_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

struct run_figures {
    double seconds = 0, cpu = 0;
};

// Checks the simulator's view of an upload: every byte and part arrived, nothing twice.
void check_upload_stats(const json::object& st, std::uint64_t size, std::size_t parts,
                        const std::string& who, bool committed) {
    auto bytes = num(st, "uploadBytesReceived");
    auto got = num(st, "partsReceived");
    if (bytes != size || got != parts)
        fail(who + ": the simulator received " + std::to_string(bytes) + " bytes in " +
             std::to_string(got) + " parts, expected " + std::to_string(size) + " in " +
             std::to_string(parts));
    if (num(st, "uploadAuthorizationHeaders") != 0)
        fail(who + ": the API token was sent to the upload host");
    (void)committed;
}

// The simulator checks a commit's checksums when it settles the file (after its processing
// delay): waits for the verdicts on all `files` commits, bounded.
void check_checksum_verdict(bench_env& env, const std::string& who, std::size_t files) {
    std::uint64_t matched = 0;
    for (int i = 0; i < 400; ++i) {
        auto st = env.stats();
        auto& c = st.at("checksums").as_object();
        if (num(c, "mismatched") != 0 || num(c, "absent") != 0)
            fail(who + ": the simulator found a commit's checksums wrong or missing");
        matched = num(c, "matched");
        if (matched > files)
            fail(who + ": more checksum verdicts than commits");
        if (matched == files)
            return;
        std::this_thread::sleep_for(25ms);
    }
    fail(who + ": " + std::to_string(matched) + " of " + std::to_string(files) +
         " checksum verdicts from the simulator within 10 s");
}

// The files of one upload run: their reservations and local paths, and their totals.
struct upload_set {
    std::vector<api::background_asset_upload_file> reservations;
    std::vector<fs::path> files;
    std::vector<fs::path> parts_dirs; // curl's pre-split parts, one directory per file
    std::uint64_t bytes = 0;
    std::size_t parts = 0;
};

// Every file of the set at once through the one client, part uploads bounded by one shared
// limiter of `conc`.
run_figures upload_ascpp(bench_env& env, const upload_set& set, std::size_t conc) {
    upload::upload_options o;
    o.limiter = std::make_shared<upload::limiter>(upload::limiter_options{conc, conc});
    env.reset_stats();
    auto cpu0 = cpu_seconds_self();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::future<upload::upload_result>> running;
    for (std::size_t i = 0; i < set.files.size(); ++i)
        running.push_back(asio::co_spawn(
            env.io, upload::upload_file(*env.client, set.reservations[i], set.files[i], o),
            asio::use_future));
    std::vector<upload::upload_result> results;
    std::exception_ptr first_error;
    for (auto& f : running) {
        try {
            results.push_back(f.get());
        } catch (...) {
            if (!first_error)
                first_error = std::current_exception();
        }
    }
    run_figures f;
    f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    f.cpu = cpu_seconds_self() - cpu0;
    if (first_error)
        std::rethrow_exception(first_error);
    check_upload_stats(env.stats(), set.bytes, set.parts, "ascpp", true);
    check_checksum_verdict(env, "ascpp", set.files.size());
    if (o.limiter->stats().peak_active > conc)
        fail("ascpp: more part uploads at once than the limiter allows");
    for (std::size_t i = 0; i < results.size(); ++i)
        if (results[i].stats.parts_sent != operations(set.reservations[i]).size() ||
            results[i].stats.part_retries != 0)
            fail("ascpp: parts sent or retried unexpectedly");
    return f;
}

// One `curl --parallel` process for every part of every file of the set.
run_figures upload_curl(bench_env& env, const upload_set& set, const fs::path& dir,
                        std::size_t conc) {
    std::string cfg;
    for (std::size_t i = 0; i < set.reservations.size(); ++i) {
        for (auto& op : operations(set.reservations[i])) {
            if (!cfg.empty())
                cfg += "next\n";
            cfg += "url = " + cfg_quote(*op.url) + "\n";
            cfg += "request = " + cfg_quote(op.method.value_or("PUT")) + "\n";
            cfg +=
                "upload-file = " +
                cfg_quote((set.parts_dirs[i] / ("part-" + std::to_string(*op.offset))).string()) +
                "\n";
            cfg += "output = \"/dev/null\"\ncacert = " + cfg_quote(env.ca_file) + "\n";
            // Without this curl waits up to a second for a 100 Continue before each body.
            cfg += "header = \"Expect:\"\nfail\nsilent\nshow-error\n";
            if (op.request_headers)
                for (auto& h : *op.request_headers)
                    cfg +=
                        "header = " + cfg_quote(h.name.value_or("") + ": " + h.value.value_or("")) +
                        "\n";
        }
    }
    write_text(dir / "curl.cfg", cfg, true);
    env.reset_stats();
    auto c = run_child({"curl", "-sS", "--no-progress-meter", "--parallel", "--parallel-max",
                        std::to_string(conc), "-K", (dir / "curl.cfg").string()});
    if (c.exit_code != 0)
        fail("curl exited with " + std::to_string(c.exit_code));
    check_upload_stats(env.stats(), set.bytes, set.parts, "curl", false);
    return {c.wall, c.cpu};
}

json::object run_aiohttp(const settings& s, const fs::path& dir, const json::object& job) {
    write_text(dir / "job.json", json::serialize(job), true);
    auto c = run_child({"/usr/bin/python3", s.peer_script, (dir / "job.json").string()},
                       dir / "job.out");
    fs::remove(dir / "job.json");
    if (c.exit_code != 0)
        fail("python3-aiohttp exited with " + std::to_string(c.exit_code));
    auto out = json::parse(read_text(dir / "job.out")).as_object();
    out["process_cpu"] = c.cpu;
    out["process_wall"] = c.wall;
    return out;
}

// One python3-aiohttp process: every part of every file of the set, `conc` at a time.
run_figures upload_aiohttp(const settings& s, bench_env& env, const upload_set& set,
                           const fs::path& dir, std::size_t conc) {
    json::array ops;
    for (std::size_t i = 0; i < set.reservations.size(); ++i) {
        for (auto& op : operations(set.reservations[i])) {
            json::array headers;
            if (op.request_headers)
                for (auto& h : *op.request_headers)
                    headers.push_back(json::array{h.name.value_or(""), h.value.value_or("")});
            ops.push_back(json::object{{"method", op.method.value_or("PUT")},
                                       {"url", *op.url},
                                       {"file", set.files[i].string()},
                                       {"offset", *op.offset},
                                       {"length", *op.length},
                                       {"headers", std::move(headers)}});
        }
    }
    json::object job{
        {"mode", "upload"}, {"ca", env.ca_file}, {"concurrency", conc}, {"ops", std::move(ops)}};
    env.reset_stats();
    auto out = run_aiohttp(s, dir, job);
    check_upload_stats(env.stats(), set.bytes, set.parts, "python3-aiohttp", false);
    // The script's own timing: the requests, not the interpreter's start.
    return {out.at("seconds").to_number<double>(), out.at("process_cpu").to_number<double>()};
}

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

std::string fmt(double v, int prec = 1) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", prec, v);
    return b;
}

// What an upload scenario sends: `files` files of `file_size` bytes, reserved in `app`.
struct upload_shape {
    std::string name;  // the scenario's name in results.json
    std::string title; // what the table's heading says
    std::size_t files = 1;
    std::uint64_t file_size = 0;
    std::string app;
    std::string tag; // in the asset pack identifiers
};

// The CPU-bound ceiling: every byte is encrypted by the client, decrypted by the simulator,
// hashed with MD5 twice (the part's MD5 by the client, its ETag by the simulator) and with
// SHA-256 once (the client's whole-file checksum); spread over every core. Measured once a run.
json::object cpu_limit(const fs::path& dir) {
    static json::object cached;
    if (!cached.empty())
        return cached;
    double aes = openssl_speed(dir, "aes-256-gcm");
    double sha = openssl_speed(dir, "sha256");
    double md5 = openssl_speed(dir, "md5");
    double ns_per_byte = 1e9 * (2 / aes + 1 / sha + 2 / md5);
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    double limit = cores * 1e9 / ns_per_byte / (1 << 20);
    std::cout << "CPU limit: AES-256-GCM " << fmt(aes / 1e6, 0) << " MB/s, SHA-256 "
              << fmt(sha / 1e6, 0) << " MB/s, MD5 " << fmt(md5 / 1e6, 0) << " MB/s -> "
              << fmt(ns_per_byte, 2) << " ns/byte, " << cores << " cores: " << fmt(limit, 0)
              << " MiB/s\n";
    cached = {{"aes_256_gcm_bytes_per_s", aes},
              {"sha256_bytes_per_s", sha},
              {"md5_bytes_per_s", md5},
              {"ns_per_byte", ns_per_byte},
              {"mib_per_s", limit},
              {"model", "cores / (2 AES-GCM + 1 SHA-256 + 2 MD5 per byte)"}};
    return cached;
}

// Upload throughput: the shape's files sent by each contender at each concurrency, contenders
// alternating within each round, every result checked.
json::object scenario_upload(const settings& s, bench_env& env, const fs::path& dir,
                             std::ofstream& plot, const upload_shape& shape) {
    const auto work = dir / shape.tag;
    fs::create_directories(work);
    struct remove_on_exit {
        fs::path p;
        ~remove_on_exit() {
            std::error_code ec;
            fs::remove_all(p, ec);
        }
    } cleanup{work};
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
        contenders.push_back("aiohttp");
    }
    int serial = 0;
    bool split = false;
    json::object by_conc;
    std::cout << "\n== " << shape.title << " over TLS on loopback, " << s.reps
              << " run(s) each, median MiB/s [min-max], client CPU s/GiB ==\n";
    std::printf("%-6s", "conc");
    for (auto& c : contenders)
        std::printf(" | %-34s", c.c_str());
    std::printf(" | ascpp/curl ascpp/aiohttp\n");
    std::map<std::string, double> best;
    for (auto conc : s.concurrency) {
        std::map<std::string, std::vector<double>> rates, cpus;
        for (int rep = 0; rep < s.reps; ++rep) {
            for (auto& who : contenders) {
                set.reservations = reserve_files(env, shape.app, shape.tag, shape.files,
                                                 shape.file_size, ++serial);
                set.parts = 0;
                for (auto& r : set.reservations)
                    set.parts += operations(r).size();
                run_figures f;
                if (who == "ascpp") {
                    f = upload_ascpp(env, set, conc);
                } else if (who == "curl") {
                    if (!split) {
                        for (std::size_t i = 0; i < shape.files; ++i)
                            split_parts(set.files[i], set.parts_dirs[i],
                                        operations(set.reservations[i]));
                        split = true;
                    }
                    f = upload_curl(env, set, dir, conc);
                } else {
                    f = upload_aiohttp(s, env, set, dir, conc);
                }
                rates[who].push_back(mib / f.seconds);
                cpus[who].push_back(f.cpu / (mib / 1024));
            }
        }
        json::object row;
        std::printf("%-6zu", conc);
        for (auto& who : contenders) {
            auto r = summarize(rates[who]);
            auto c = summarize(cpus[who]);
            best[who] = std::max(best[who], r.median);
            json::array runs;
            for (double v : rates[who])
                runs.push_back(v);
            row[who] = json::object{{"mib_per_s", to_json(r)},
                                    {"runs_mib_per_s", std::move(runs)},
                                    {"client_cpu_s_per_gib", to_json(c)}};
            std::string cell =
                fmt(r.median) + " [" + fmt(r.min) + "-" + fmt(r.max) + "] cpu " + fmt(c.median, 2);
            std::printf(" | %-34s", cell.c_str());
        }
        json::object ratios;
        auto med = [&](const std::string& w) { return summarize(rates[w]).median; };
        if (s.peers) {
            ratios["ascpp_over_curl"] = med("ascpp") / med("curl");
            ratios["ascpp_over_aiohttp"] = med("ascpp") / med("aiohttp");
            std::printf(" | %-10s %s", fmt(med("ascpp") / med("curl"), 2).c_str(),
                        fmt(med("ascpp") / med("aiohttp"), 2).c_str());
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

json::object scenario_api(const settings& s, bench_env& env, const fs::path& dir) {
    // One asset pack to read over and over.
    auto pack = env.run([&]() -> asio::awaitable<std::string> {
        api::background_asset_create_request req;
        req.app_id = env.app;
        req.asset_pack_identifier = "com.example.bench.get." + std::to_string(::getpid());
        co_return (co_await env.client->create_background_asset(std::move(req))).data.id;
    }());
    auto url = env.api_url + "/v1/backgroundAssets/" + pack;
    std::cout << "\n== API call cost: sequential GET /v1/backgroundAssets/{id}, " << s.reps
              << " run(s) each ==\n";
    std::map<std::string, std::vector<double>> rps, us;
    auto requests_seen = [&] {
        auto st = env.stats();
        return num(st.at("requests").as_object(), "backgroundAssets_getInstance");
    };
    // ascpp's own GETs through `client`, `calls` of them, recorded under `who`.
    auto run_ascpp = [&](const std::string& who, api::client& client, int calls) {
        env.reset_stats();
        auto cpu0 = cpu_seconds_self();
        auto t0 = std::chrono::steady_clock::now();
        env.run([&]() -> asio::awaitable<void> {
            for (int i = 0; i < calls; ++i) {
                auto d = co_await client.get_background_asset(pack);
                if (d.data.id != pack)
                    throw std::runtime_error(who + ": GET returned another asset pack");
            }
        }());
        double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        double cpu = cpu_seconds_self() - cpu0;
        if (requests_seen() != static_cast<std::uint64_t>(calls))
            fail(who + ": the simulator did not see every GET exactly once");
        rps[who].push_back(calls / wall);
        us[who].push_back(1e6 * cpu / calls);
    };
    for (int rep = 0; rep < s.reps; ++rep) {
        // ascpp: one client, its keep-alive pool.
        run_ascpp("ascpp", *env.client, s.api_calls);
        // The same client code with a new connection (TCP + TLS handshake) per request: what the
        // pool saves.
        {
            auto config = env.config;
            config.http.max_requests_per_connection = 1;
            api::client fresh(env.io.get_executor(), std::move(config));
            run_ascpp("ascpp-new-conn", fresh, s.curl_calls);
        }
        if (!s.peers)
            continue;

        auto auth = env.client->tokens().authorization();
        // curl: a new process (and TLS handshake) per request.
        write_text(dir / "auth.hdr", "Authorization: " + auth + "\n", true);
        env.reset_stats();
        double cwall = 0, ccpu = 0;
        for (int i = 0; i < s.curl_calls; ++i) {
            auto c = run_child({"curl", "-sS", "--fail", "-o", "/dev/null", "--cacert", env.ca_file,
                                "-H", "@" + (dir / "auth.hdr").string(), url});
            if (c.exit_code != 0)
                fail("curl GET exited with " + std::to_string(c.exit_code));
            cwall += c.wall;
            ccpu += c.cpu;
        }
        if (requests_seen() != static_cast<std::uint64_t>(s.curl_calls))
            fail("curl: the simulator did not see every GET exactly once");
        rps["curl"].push_back(s.curl_calls / cwall);
        us["curl"].push_back(1e6 * ccpu / s.curl_calls);

        // aiohttp: one session.
        env.reset_stats();
        auto out = run_aiohttp(s, dir,
                               json::object{{"mode", "get"},
                                            {"ca", env.ca_file},
                                            {"url", url},
                                            {"count", s.api_calls},
                                            {"authorization", auth}});
        if (requests_seen() != static_cast<std::uint64_t>(s.api_calls))
            fail("python3-aiohttp: the simulator did not see every GET exactly once");
        rps["aiohttp"].push_back(s.api_calls / out.at("seconds").to_number<double>());
        us["aiohttp"].push_back(1e6 * out.at("cpu_seconds").to_number<double>() / s.api_calls);
        fs::remove(dir / "auth.hdr");
    }
    json::object figures;
    std::printf("%-8s | %-28s | %-28s\n", "", "requests/s [min-max]", "client CPU us/request");
    for (auto& [who, v] : rps) {
        auto r = summarize(v);
        auto c = summarize(us[who]);
        figures[who] =
            json::object{{"requests_per_s", to_json(r)}, {"cpu_us_per_request", to_json(c)}};
        std::string a = fmt(r.median, 0) + " [" + fmt(r.min, 0) + "-" + fmt(r.max, 0) + "]";
        std::string b = fmt(c.median, 0) + " [" + fmt(c.min, 0) + "-" + fmt(c.max, 0) + "]";
        std::printf("%-8s | %-28s | %-28s\n", who.c_str(), a.c_str(), b.c_str());
    }
    json::object ratios;
    if (s.peers) {
        auto m = [&](const std::string& w) { return summarize(rps[w]).median; };
        auto c = [&](const std::string& w) { return summarize(us[w]).median; };
        ratios = {{"ascpp_over_curl_requests_per_s", m("ascpp") / m("curl")},
                  {"ascpp_over_ascpp_new_conn_requests_per_s", m("ascpp") / m("ascpp-new-conn")},
                  {"ascpp_new_conn_cpu_over_ascpp_cpu", c("ascpp-new-conn") / c("ascpp")},
                  {"ascpp_over_aiohttp_requests_per_s", m("ascpp") / m("aiohttp")},
                  {"curl_cpu_over_ascpp_cpu", c("curl") / c("ascpp")},
                  {"aiohttp_cpu_over_ascpp_cpu", c("aiohttp") / c("ascpp")}};
        std::cout << "ratios: ascpp/curl " << fmt(m("ascpp") / m("curl"), 1)
                  << "x requests/s, ascpp/aiohttp " << fmt(m("ascpp") / m("aiohttp"), 1)
                  << "x; CPU per request: curl " << fmt(c("curl") / c("ascpp"), 1) << "x, aiohttp "
                  << fmt(c("aiohttp") / c("ascpp"), 1) << "x ascpp's; a new connection per "
                  << "request: " << fmt(m("ascpp") / m("ascpp-new-conn"), 1)
                  << "x fewer requests/s, " << fmt(c("ascpp-new-conn") / c("ascpp"), 1)
                  << "x the CPU\n";
    }
    return {{"name", "api_call_cost"},       {"ascpp_and_aiohttp_requests", s.api_calls},
            {"curl_requests", s.curl_calls}, {"runs_per_contender", s.reps},
            {"figures", std::move(figures)}, {"ratios", std::move(ratios)}};
}

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
        req.asset_pack_identifier = "com.example.bench.publish." + std::to_string(::getpid());
        req.asset = file;
        auto t0 = std::chrono::steady_clock::now();
        auto res = env.run(wf::publish(*env.client, req, {}));
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        auto st = env.stats();
        json::object per_op;
        std::uint64_t api_total = 0;
        for (auto& [k, v] : st.at("requests").as_object()) {
            if (k == "upload_part" || k == "sim")
                continue;
            per_op[k] = v;
            api_total += v.to_number<std::uint64_t>();
        }
        if (res.version_state != "COMPLETE")
            fail("publish: the version ended " + res.version_state);
        check_upload_stats(st, s.publish_size, res.uploads.at(0).stats.parts, "publish", true);
        auto& verdict = st.at("checksums").as_object();
        if (num(verdict, "matched") != 1 || num(verdict, "mismatched") != 0)
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
        const std::string batch_app = "9300000000"; // not memory_app: 100 packs fill an app
        env.add_app(batch_app);
        std::vector<wf::batch_entry> entries;
        for (std::size_t i = 0; i < s.batch_packs; ++i) {
            auto f = dir / ("batch-" + std::to_string(i) + ".aar");
            make_file(f, 1 << 20, 1000 + i);
            wf::batch_entry e;
            e.app_id = batch_app;
            e.asset_pack_identifier =
                "com.example.bench.batch." + std::to_string(::getpid()) + "." + std::to_string(i);
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
        std::uint64_t batch_total = 0;
        for (auto& [k, v] : bst.at("requests").as_object())
            if (k != "upload_part" && k != "sim")
                batch_total += v.to_number<std::uint64_t>();
        if (summary.succeeded != s.batch_packs || summary.failed != 0)
            fail("publish: the batch had " + std::to_string(summary.failed) + " failures");
        auto& bverdict = bst.at("checksums").as_object();
        if (num(bverdict, "matched") != s.batch_packs || num(bverdict, "mismatched") != 0)
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

// ---- watching at scale -------------------------------------------------------------------------

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

std::uint64_t api_requests_seen(const json::object& stats) {
    std::uint64_t total = 0;
    for (auto& [k, v] : stats.at("requests").as_object())
        if (k != "upload_part" && k != "sim")
            total += v.to_number<std::uint64_t>();
    return total;
}

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

// `ascpp-bench --watch-worker JOB`: one contender of the watch scenario in a process of its own,
// so its resident memory is its own. Prints one JSON object.
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

// Creates the versions to watch: `watch_versions` of them over `watch_packs` packs, each with a
// tiny committed archive, while processing is paused, so they all stay PROCESSING.
std::vector<watch_target> make_processing_versions(const settings& s, bench_env& env,
                                                   const fs::path& dir) {
    auto tiny = dir / "tiny.aar";
    write_text(tiny, std::string(100, 'x'));
    std::vector<std::string> packs;
    // Apps of their own, 100 packs each (the most an app may have live).
    for (std::size_t a = 0; a * 100 < s.watch_packs; ++a)
        env.add_app(std::to_string(9100000000ull + a));
    env.run([&]() -> asio::awaitable<void> {
        for (std::size_t p = 0; p < s.watch_packs; ++p) {
            api::background_asset_create_request req;
            req.app_id = std::to_string(9100000000ull + p / 100);
            req.asset_pack_identifier =
                "com.example.bench.watch." + std::to_string(::getpid()) + "." + std::to_string(p);
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

json::object run_watch_worker(const settings& s, bench_env& env, const fs::path& dir,
                              const sim_process& sim, const std::string& mode,
                              const std::vector<watch_target>& targets) {
    json::array list;
    for (auto& t : targets)
        list.push_back(json::array{t.pack, t.version});
    json::object job{{"mode", mode},
                     {"api_url", env.api_url},
                     {"ca_file", env.ca_file},
                     {"key_id", sim.key().at("keyId")},
                     {"issuer_id", sim.key().at("issuerId")},
                     {"private_key_file", sim.key().at("privateKeyFile")},
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

json::object scenario_watch(const settings& s, bench_env& env, const fs::path& dir,
                            const sim_process& sim) {
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
    std::cout
        << "setup: " << n << " versions created and committed in "
        << fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t_setup).count(), 1)
        << " s\n";

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
            auto r = run_watch_worker(s, env, dir, sim, who, targets);
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
    auto done = run_watch_worker(s, env, dir, sim, "complete", targets);
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
    auto cell = [](const summary& x, int prec) {
        return fmt(x.median, prec) + " [" + fmt(x.min, prec) + "-" + fmt(x.max, prec) + "]";
    };
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
              << fmt(summarize(heap_per["watcher"]).median, 0) << " bytes, naive "
              << fmt(summarize(heap_per["naive"]).median, 0) << " bytes\n";
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

// ---- memory bound ------------------------------------------------------------------------------

struct cli_run {
    double seconds = 0;
    std::uint64_t max_rss = 0; // bytes
};

// The memory scenario's packs go to an app of their own (an app holds at most 100 packs).
const std::string memory_app = "9200000000";

// `ascpp publish --wait` of `file` in a child process; its peak RSS from wait4().
cli_run publish_cli(const settings& s, bench_env& env, const sim_process& sim, const fs::path& dir,
                    const fs::path& file, std::uint64_t size, const std::string& identifier) {
    std::vector<std::string> argv = {s.cli_binary,
                                     "--api-url",
                                     env.api_url,
                                     "--ca-file",
                                     env.ca_file,
                                     "--key-id",
                                     std::string(sim.key().at("keyId").as_string()),
                                     "--issuer-id",
                                     std::string(sim.key().at("issuerId").as_string()),
                                     "--private-key",
                                     std::string(sim.key().at("privateKeyFile").as_string()),
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
    cli_run r;
    r.seconds = child.wall;
    r.max_rss = child.max_rss;
    const int code = child.exit_code;
    auto text = read_text(out);
    if (code != 0)
        fail("ascpp publish exited with " + std::to_string(code) + ": " + text.substr(0, 400));
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
                       "ascpp publish", true);
    auto& verdict = st.at("checksums").as_object();
    if (num(verdict, "matched") != 1 || num(verdict, "mismatched") != 0)
        fail("ascpp publish: the commit's checksums were not verified as matching");
    return r;
}

json::object scenario_memory(const settings& s, bench_env& env, const fs::path& dir,
                             const sim_process& sim) {
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
    struct remove_on_exit {
        fs::path p;
        ~remove_on_exit() {
            std::error_code e;
            fs::remove(p, e);
        }
    } cleanup{big};
    auto t_make = std::chrono::steady_clock::now();
    make_file(big, s.memory_size);
    make_file(small, s.memory_small_size);
    std::cout
        << "files written in "
        << fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t_make).count(), 1)
        << " s (" << big.string() << ")\n";
    std::map<std::string, std::vector<double>> peak_mib, secs;
    int serial = 0;
    for (int rep = 0; rep < s.reps; ++rep) {
        for (const std::string who : {"big", "small"}) {
            auto id = "com.example.bench.memory." + std::to_string(::getpid()) + "." +
                      std::to_string(++serial);
            auto r = who == "big" ? publish_cli(s, env, sim, dir, big, s.memory_size, id)
                                  : publish_cli(s, env, sim, dir, small, s.memory_small_size, id);
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
    json::array big_runs, small_runs;
    for (double v : peak_mib["big"])
        big_runs.push_back(v);
    for (double v : peak_mib["small"])
        small_runs.push_back(v);
    return {{"name", "memory_bound"},
            {"file_bytes", s.memory_size},
            {"small_file_bytes", s.memory_small_size},
            {"file_location", big_dir.string()},
            {"runs_per_file", s.reps},
            {"peak_rss_mib", to_json(b)},
            {"runs_peak_rss_mib", std::move(big_runs)},
            {"small_file_peak_rss_mib", to_json(sm)},
            {"runs_small_file_peak_rss_mib", std::move(small_runs)},
            {"seconds", to_json(bt)},
            {"peak_rss_over_file_size", ratio},
            {"growth_over_small_file_mib", b.median - sm.median},
            {"method", "ascpp publish --wait --quiet --output json (default concurrency 8, 5 MiB "
                       "parts) in a child process; peak RSS = wait4() ru_maxrss"}};
}

// The 1-minute load average: how busy the machine was, for reading the figures.
double load_average() {
    double l = 0;
    std::ifstream in("/proc/loadavg");
    in >> l;
    return l;
}

std::vector<std::size_t> parse_list(const std::string& s) {
    std::vector<std::size_t> v;
    std::istringstream in(s);
    std::string item;
    while (std::getline(in, item, ','))
        v.push_back(std::stoul(item));
    return v;
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
    const std::vector<std::string> all_scenarios = {"upload",  "upload-many", "api",
                                                    "publish", "watch",       "memory"};
    std::string only = "upload,upload-many,api,publish,watch,memory";
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
                         "[--scenarios upload,upload-many,api,publish,watch,memory] [--no-peers] "
                         "[--watch-versions N] [--watch-packs N] [--watch-interval-s S] "
                         "[--watch-window-s S] [--memory-mib N]\n";
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
    std::vector<std::string> selected;
    {
        std::istringstream in(only);
        std::string name;
        while (std::getline(in, name, ',')) {
            if (std::find(all_scenarios.begin(), all_scenarios.end(), name) ==
                all_scenarios.end()) {
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
            std::ofstream plot, plot_many;
            plot.open(s.plot_data.empty() ? "/dev/null" : s.plot_data, std::ios::trunc);
            plot_many.open(s.plot_data_many.empty() ? "/dev/null" : s.plot_data_many,
                           std::ios::trunc);
            // A failed scenario is reported (and fails the run) without losing the others.
            auto attempt = [&](const char* name, const char* result_name, auto&& run) {
                if (std::find(selected.begin(), selected.end(), name) == selected.end())
                    return;
                try {
                    scenarios.push_back(run());
                } catch (const std::exception& e) {
                    std::cerr << "ascpp-bench: scenario " << name << " FAILED: " << e.what()
                              << "\n";
                    failed.push_back(std::string(name) + ": " + e.what());
                    scenarios.push_back(json::object{{"name", result_name}, {"error", e.what()}});
                }
            };
            attempt("upload", "upload_throughput", [&] {
                upload_shape shape;
                shape.name = "upload_throughput";
                shape.title = "upload throughput: one file of " +
                              fmt(static_cast<double>(s.upload_size) / (1 << 20), 0) + " MiB";
                shape.file_size = s.upload_size;
                shape.app = env.app;
                shape.tag = "p";
                return scenario_upload(s, env, dir, plot, shape);
            });
            attempt("upload-many", "upload_many_files", [&] {
                // An app of its own: a pack per run, its files one version each.
                upload_shape shape;
                shape.name = "upload_many_files";
                shape.files = s.many_files;
                shape.file_size = s.many_size;
                shape.title = "upload throughput, many files: " + std::to_string(shape.files) +
                              " files of " + fmt(static_cast<double>(s.many_size) / (1 << 20), 0) +
                              " MiB at once";
                shape.app = "9400000000";
                shape.tag = "m";
                env.add_app(shape.app);
                return scenario_upload(s, env, dir, plot_many, shape);
            });
            attempt("api", "api_call_cost", [&] { return scenario_api(s, env, dir); });
            attempt("publish", "publish_economy", [&] { return scenario_publish(s, env, dir); });
            attempt("watch", "watch_at_scale", [&] { return scenario_watch(s, env, dir, sim); });
            attempt("memory", "memory_bound", [&] { return scenario_memory(s, env, dir, sim); });
        }
        unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        const std::string mode = s.check ? "check" : s.quick ? "quick" : "full";
        const json::object load{{"start", load_before}, {"end", load_average()}};
        for (auto& sc : scenarios) {
            sc.as_object()["cores"] = cores;
            sc.as_object()["mode"] = mode;
            sc.as_object()["load_average_1m"] = load;
        }
        if (!s.out_json.empty()) {
            // A run of some scenarios keeps the other scenarios' results of the previous file
            // (each scenario says in which mode and under which load it was measured).
            json::array kept_names;
            std::error_code ec;
            if (fs::exists(s.out_json, ec)) {
                try {
                    auto old = json::parse(read_text(s.out_json)).as_object();
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
                        // A file of one run (older ones did not mark their scenarios): its
                        // top-level mode and load are those of every scenario in it.
                        const bool one_run = !old.contains("kept_from_previous_file");
                        if (!o.contains("mode") && !old_mode.empty() && one_run)
                            o["mode"] = old_mode;
                        if (!o.contains("load_average_1m") && old.contains("load_average_1m") &&
                            one_run)
                            o["load_average_1m"] = old.at("load_average_1m");
                        kept_names.push_back(o.at("name"));
                        scenarios.push_back(std::move(sc));
                    }
                } catch (const std::exception& e) {
                    std::cerr << "ascpp-bench: not keeping " << s.out_json << ": " << e.what()
                              << "\n";
                }
            }
            json::object doc{{"mode", mode},
                             {"cores", cores},
                             {"load_average_1m", load},
                             {"kept_from_previous_file", std::move(kept_names)},
                             {"scenarios", std::move(scenarios)}};
            write_text(s.out_json, json::serialize(doc) + "\n");
        }
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
