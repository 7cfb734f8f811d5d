// The harness every ascpp-bench scenario runs on (harness.hpp): the simulator and other child
// processes, the client side, the simulator's counters, summaries and printing.
#include "harness.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ascpp_bench {

namespace {

double cpu_seconds(const rusage& u) {
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The child side of spawn(), between vfork and exec: system calls only (no allocation), since it
// runs on the bench's memory.
[[noreturn]] void exec_child(char* const* args, const char* out_path, bool search_path) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    int fd = ::open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0)
        ::dup2(fd, 1);
    if (search_path)
        ::execvp(args[0], args);
    else
        ::execv(args[0], args);
    constexpr char message[] = "ascpp-bench: could not start a child program\n";
    [[maybe_unused]] auto n = ::write(2, message, sizeof message - 1);
    ::_exit(127);
}

// Starts argv[0] (looked up in PATH when `search_path`) with its stdout to `out` (or /dev/null)
// and stderr inherited. The child stops with the bench, even a killed one (a test timeout).
//
// vfork, not fork: after a fork every page of the bench is marked copy-on-write and the next
// write to each faults, so an ascpp run after a peer's took about 15,000 page faults more than
// one after another ascpp run (64 x 16 MiB, 2026-12-02), and paid for them in its client CPU.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& out, bool search_path) {
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = ::vfork();
    if (pid < 0)
        fail("vfork failed");
    if (pid == 0)
        exec_child(args.data(), out.empty() ? "/dev/null" : out.c_str(), search_path);
    return pid;
}

} // namespace

std::string pack_identifier(std::string_view kind) {
    return "com.example.bench." + std::string(kind) + "." + std::to_string(::getpid());
}

std::string pack_identifier(std::string_view kind, std::size_t n) {
    return pack_identifier(kind) + "." + std::to_string(n);
}

void fail(const std::string& what) {
    throw std::runtime_error(what);
}

double cpu_seconds_self() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return cpu_seconds(u);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_text(const fs::path& p, const std::string& text, bool secret) {
    auto old = secret ? ::umask(077) : ::umask(022);
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    ::umask(old);
    out << text;
    if (!out)
        fail("cannot write " + p.string());
}

remove_on_exit::~remove_on_exit() {
    std::error_code ec;
    fs::remove_all(path, ec);
}

void make_file(const fs::path& p, std::uint64_t size, std::uint64_t seed) {
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

child_result run_child(const std::vector<std::string>& argv, const fs::path& out) {
    auto start = std::chrono::steady_clock::now();
    pid_t pid = spawn(argv, out, true);
    int status = 0;
    rusage u{};
    ::wait4(pid, &status, 0, &u);
    child_result r;
    r.wall = seconds_since(start);
    r.cpu = cpu_seconds(u);
    r.max_rss = static_cast<std::uint64_t>(u.ru_maxrss) * 1024; // Linux: KiB
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

// ---- the simulator -----------------------------------------------------------------------------

sim_process::sim_process(const settings& s, const fs::path& dir) {
    fs::create_directories(dir / "sim");
    auto info = dir / "info.json";
    std::vector<std::string> argv;
    if (s.pin)
        argv = {"taskset", "-c", "1"};
    for (std::string a :
         {s.sim_binary, std::string("--generate-key"), (dir / "keys").string(),
          std::string("--info-file"), info.string(), std::string("--work-dir"),
          (dir / "sim").string(), std::string("--rate-limit"), std::string("100000000"),
          std::string("--upload-processing-delay"), std::string("50ms"),
          std::string("--version-processing-delay"), std::string("100ms"), std::string("--threads"),
          std::string("2"), std::string("--latency"), std::to_string(s.upload_latency_ms) + "ms"})
        argv.push_back(std::move(a));
    pid_ = spawn(argv, dir / "sim.log", s.pin); // taskset is found on PATH
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

double sim_process::cpu_seconds() const {
    // Fields 14 and 15 of /proc/PID/stat (utime, stime) in clock ticks; the command name before
    // them is in parentheses and may hold spaces, so count from its closing one.
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (pid_ <= 0 || close == std::string::npos)
        return 0;
    std::istringstream fields(text.substr(close + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i)
        fields >> skip;
    double utime = 0, stime = 0;
    fields >> utime >> stime;
    return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

sim_process::~sim_process() {
    if (pid_ <= 0)
        return;
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

asio::awaitable<json::object> sim_call(api::client& client, std::string api_url,
                                       boost::beast::http::verb method, std::string path,
                                       std::string body) {
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

// ---- the client side ---------------------------------------------------------------------------

bench_env::bench_env(const sim_process& s) : sim(s) {
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

bench_env::~bench_env() {
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

json::object bench_env::stats() {
    return run(sim_call(*client, api_url, boost::beast::http::verb::get, "/sim/stats"));
}

void bench_env::reset_stats() {
    run(sim_call(*client, api_url, boost::beast::http::verb::post, "/sim/stats/reset"));
}

void bench_env::add_app(const std::string& id) {
    run(sim_call(*client, api_url, boost::beast::http::verb::post, "/sim/apps",
                 json::serialize(json::object{{"id", id}})));
}

void bench_env::pause_processing(bool paused) {
    run(sim_call(*client, api_url, boost::beast::http::verb::post, "/sim/processing",
                 paused ? R"({"paused":true})" : R"({"paused":false})"));
}

// ---- the simulator's counters and checks -------------------------------------------------------

std::uint64_t num(const json::object& o, std::string_view k) {
    auto* v = o.if_contains(k);
    return v ? v->to_number<std::uint64_t>() : 0;
}

json::object api_requests_by_operation(const json::object& stats) {
    json::object per_op;
    for (auto& [k, v] : stats.at("requests").as_object())
        if (k != "upload_part" && k != "sim")
            per_op[k] = v;
    return per_op;
}

std::uint64_t api_requests_seen(const json::object& stats) {
    std::uint64_t total = 0;
    for (auto& [k, v] : api_requests_by_operation(stats))
        total += v.to_number<std::uint64_t>();
    return total;
}

void check_upload_stats(const json::object& stats, std::uint64_t size, std::size_t parts,
                        const std::string& who) {
    auto bytes = num(stats, "uploadBytesReceived");
    auto got = num(stats, "partsReceived");
    if (bytes != size || got != parts)
        fail(who + ": the simulator received " + std::to_string(bytes) + " bytes in " +
             std::to_string(got) + " parts, expected " + std::to_string(size) + " in " +
             std::to_string(parts));
    if (num(stats, "uploadAuthorizationHeaders") != 0)
        fail(who + ": the API token was sent to the upload host");
}

bool checksums_all_matched(const json::object& stats, std::uint64_t commits) {
    auto& verdict = stats.at("checksums").as_object();
    return num(verdict, "matched") == commits && num(verdict, "mismatched") == 0;
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

// ---- summaries and printing --------------------------------------------------------------------

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

json::array to_json(const std::vector<double>& v) {
    json::array a;
    for (double x : v)
        a.push_back(x);
    return a;
}

std::string fmt(double v, int prec) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", prec, v);
    return b;
}

std::string cell(const summary& s, int prec) {
    return fmt(s.median, prec) + " [" + fmt(s.min, prec) + "-" + fmt(s.max, prec) + "]";
}

double load_average() {
    double l = 0;
    std::ifstream in("/proc/loadavg");
    in >> l;
    return l;
}

} // namespace ascpp_bench
