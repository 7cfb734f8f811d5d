// The harness every ascpp-bench scenario runs on: the settings of a run, ascpp-sim as a child
// process, the client side (an api::client on a thread of its own), child processes measured
// with wait4(), the simulator's counters and the checks made of them, summaries of repeated runs
// and the printing of figures.
//
// A scenario measures ascpp against its peers on this simulator and checks every contender's
// result (a fast wrong answer must not win); it returns its entry of results.json.
#pragma once

#include <ascpp/api/client.hpp>
#include <ascpp/http/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace ascpp_bench {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
namespace api = ascpp::api;
using namespace std::chrono_literals;

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
    // Republishing: packs of `republish_size` published, then again with `republish_changed` of
    // them changed.
    std::size_t republish_packs = 100;
    std::uint64_t republish_size = 4ull << 20;
    std::size_t republish_changed = 5;
    bool peers = true;
    // Client (this process and the peers it starts) on core 0, the simulator on core 1, so the
    // client's cost shows even when the server is the slower side.
    bool pin = false;
    // The simulator's added round trip on part responses (ascpp-sim --latency), in ms.
    unsigned upload_latency_ms = 0;
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

// The simulator's apps. An app holds at most 100 live asset packs, so a scenario of many packs
// has apps of its own (bench_env::add_app); the upload, api and publish scenarios' single packs
// go to bench_env::app.
constexpr std::uint64_t watch_apps_base = 9100000000; // watch: one app per 100 packs from here
inline const std::string memory_app = "9200000000";
inline const std::string batch_app = "9300000000";
inline const std::string many_files_app = "9400000000";
inline const std::string republish_app = "9500000000";
inline const std::string polls_app = "9600000000";

// A unique asset pack identifier: com.example.bench.KIND.PID[.N].
std::string pack_identifier(std::string_view kind);
std::string pack_identifier(std::string_view kind, std::size_t n);

[[noreturn]] void fail(const std::string& what);

// User + system CPU seconds of this process so far.
double cpu_seconds_self();
double seconds_since(std::chrono::steady_clock::time_point t0);

std::string read_text(const fs::path& p);
// `secret`: readable by the owner alone (a config or job that carries a token or a key path).
void write_text(const fs::path& p, const std::string& text, bool secret = false);

// Removes a file or directory tree when it goes out of scope.
struct remove_on_exit {
    fs::path path;
    ~remove_on_exit();
};

// Pseudo-random bytes; files of different seeds differ.
void make_file(const fs::path& p, std::uint64_t size, std::uint64_t seed = 0);

struct child_result {
    int exit_code = -1;
    double wall = 0;           // seconds
    double cpu = 0;            // user + system seconds of the child
    std::uint64_t max_rss = 0; // the child's peak resident size, bytes
};

// Runs a program to completion; its stdout goes to `out` (or /dev/null), stderr is inherited.
child_result run_child(const std::vector<std::string>& argv, const fs::path& out = {});

// ascpp-sim as a child process, stopped (SIGTERM) on destruction.
class sim_process {
public:
    sim_process(const settings& s, const fs::path& dir);
    ~sim_process();
    sim_process(const sim_process&) = delete;
    sim_process& operator=(const sim_process&) = delete;

    std::string str(const char* k) const { return std::string(info_.at(k).as_string()); }
    // User + system CPU seconds the simulator has used so far (/proc), 0 when unknown.
    double cpu_seconds() const;
    const json::object& key() const { return info_.at("keys").as_array().at(0).as_object(); }

private:
    pid_t pid_ = -1;
    json::object info_;
};

// A call to the simulator's control API (/sim/...) through the client's transport.
asio::awaitable<json::object> sim_call(api::client& client, std::string api_url,
                                       boost::beast::http::verb method, std::string path,
                                       std::string body = std::string());

// The client side: an api::client on an io_context run by one thread of its own.
struct bench_env {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::unique_ptr<api::client> client;
    std::thread thread;
    std::atomic<bool> stopped{false};
    std::string api_url, ca_file, app = "1234567890";
    api::client_config config; // what `client` was built with (its key, for a child process)

    explicit bench_env(const sim_process& sim);
    const sim_process& sim;
    ~bench_env();

    template <class T>
    T run(asio::awaitable<T> op) {
        return asio::co_spawn(io, std::move(op), asio::use_future).get();
    }

    // The simulator's counters (GET /sim/stats) and their reset.
    json::object stats();
    void reset_stats();
    // An app of the simulator's (POST /sim/apps): a scenario of many packs gets apps of its own,
    // as an app holds at most 100 live asset packs.
    void add_app(const std::string& id);
    // Holds (true) or releases the simulator's state-machine timers (POST /sim/processing).
    void pause_processing(bool paused);
};

// A counter of the simulator's stats, 0 when absent.
std::uint64_t num(const json::object& o, std::string_view k);
// The API requests the simulator saw, by operation: neither part uploads nor its control API.
json::object api_requests_by_operation(const json::object& stats);
std::uint64_t api_requests_seen(const json::object& stats);

// Checks the simulator's view of an upload: every byte and part arrived, nothing twice, and the
// API token never went to the upload host.
void check_upload_stats(const json::object& stats, std::uint64_t size, std::size_t parts,
                        const std::string& who);
// Whether the simulator verified exactly `commits` commits' checksums as matching, none not.
bool checksums_all_matched(const json::object& stats, std::uint64_t commits);

// One python3-aiohttp process running `job` (bench/peer_aiohttp.py): its JSON output, with the
// process's own CPU and wall seconds added.
json::object run_aiohttp(const settings& s, const fs::path& dir, const json::object& job);

struct summary {
    double median = 0, min = 0, max = 0;
};
summary summarize(std::vector<double> v);
json::object to_json(const summary& s);
json::array to_json(const std::vector<double>& v);

std::string fmt(double v, int prec = 1);
// "median [min-max]"
std::string cell(const summary& s, int prec);

// The 1-minute load average: how busy the machine was, for reading the figures.
double load_average();

} // namespace ascpp_bench
