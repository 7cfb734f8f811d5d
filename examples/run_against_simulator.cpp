// Runs an example against the in-process simulator over TLS, as ctest does:
//   run_against_simulator [--interrupt-after MS] PROGRAM [ARGS...]
// starts ascpp::sim::simulator with short processing delays, writes its API key (.p8) and the
// sample files the examples' command lines name into a scratch directory, and runs
//   PROGRAM APP_ID ARGS...
// there, with the ASC_* variables a user would set for Apple pointing at the simulator. Exits
// with the example's exit code. An example that does not exit within a bound (work left on its
// io_context) is killed and fails. With --interrupt-after, the example gets SIGINT after MS
// milliseconds and passes when it then exits with 130 (stopped cleanly).
#include <ascpp/sim/simulator.hpp>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;
namespace sim = ascpp::sim;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string app_id = "1234567890";
constexpr auto exit_bound = 90s; // below the ctest TIMEOUT, so a hang is reported as one

void write_file(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string bytes(n, '\0');
    for (auto& c : bytes)
        c = static_cast<char>(rng());
    return bytes;
}

// The files named by the tests' command lines (CMakeLists.txt).
void write_samples(const fs::path& dir) {
    write_file(dir / "Tutorial.aar", random_bytes(1024 * 1024 + 123, 1));
    // The simulator, like Apple, fails a version whose manifest names another pack.
    write_file(dir / "Manifest.json", R"({"assetPackID": "Tutorial", "platforms": ["iOS"]})");
    for (int i = 1; i <= 6; ++i)
        write_file(dir / ("Level" + std::to_string(i) + ".aar"),
                   random_bytes(300 * 1024 + i, 10 + i));
}

struct scratch_dir {
    fs::path path;
    ~scratch_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

int run(std::vector<std::string> argv, std::optional<std::chrono::milliseconds> interrupt) {
    char name[] = "/tmp/ascpp-example-XXXXXX";
    if (!mkdtemp(name))
        throw std::system_error(errno, std::generic_category(), "mkdtemp");
    scratch_dir scratch{name};

    sim::simulator_options options;
    options.app_ids = {app_id};
    // Several parts per archive, and processing that ends within a second.
    options.part_size = 256 * 1024;
    options.upload_processing_delay = 50ms;
    options.version_processing_delay = 500ms;
    options.release_processing_delay = 50ms;
    sim::simulator simulator(options);
    const auto key = simulator.create_api_key();
    const auto key_file = scratch.path / ("AuthKey_" + key.key_id + ".p8");
    write_file(key_file, key.private_key_pem);
    fs::permissions(key_file, fs::perms::owner_read | fs::perms::owner_write);
    write_samples(scratch.path);

    // The child gets its own environment: setenv would race the simulator's threads.
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (!std::string_view(*e).starts_with("ASC_"))
            env.emplace_back(*e);
    env.push_back("ASC_KEY_ID=" + key.key_id);
    env.push_back("ASC_ISSUER_ID=" + key.issuer_id);
    env.push_back("ASC_PRIVATE_KEY_PATH=" + key_file.string());
    env.push_back("ASC_API_URL=" + simulator.api_url());
    env.push_back("ASC_CA_FILE=" + simulator.ca_file().string());
    const auto program = fs::absolute(argv[0]);
    std::vector<std::string> args{program.string(), app_id};
    args.insert(args.end(), argv.begin() + 1, argv.end());
    auto child_argv = pointers(args);
    auto child_env = pointers(env);

    fs::current_path(scratch.path); // the sample paths are relative
    const auto start = clock_type::now();
    pid_t pid = 0;
    if (int err = posix_spawn(&pid, program.c_str(), nullptr, nullptr, child_argv.data(),
                              child_env.data()))
        throw std::system_error(err, std::generic_category(), "posix_spawn " + program.string());
    int status = 0;
    bool interrupted = false;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (interrupt && !interrupted && clock_type::now() - start > *interrupt) {
            kill(pid, SIGINT);
            interrupted = true;
        }
        if (clock_type::now() - start > exit_bound) {
            std::cerr << "run_against_simulator: " << program.filename() << " did not exit within "
                      << exit_bound.count() << " s; killed\n";
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return 1;
        }
        std::this_thread::sleep_for(10ms);
    }
    const std::chrono::duration<double> took = clock_type::now() - start;
    const auto stats = simulator.stats();
    std::cerr << "run_against_simulator: " << program.filename() << " took " << took.count()
              << " s; the simulator received " << stats.parts_received << " parts, "
              << stats.checksums_matched << " matching checksums\n";
    if (stats.upload_authorization_headers || stats.checksums_mismatched) {
        std::cerr << "run_against_simulator: a token reached the upload host or a checksum "
                     "did not match\n";
        return 1;
    }
    if (interrupt) {
        const bool stopped = interrupted && WIFEXITED(status) && WEXITSTATUS(status) == 130;
        if (!stopped)
            std::cerr << "run_against_simulator: expected exit code 130 after SIGINT\n";
        return stopped ? 0 : 1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    std::cerr << "run_against_simulator: killed by signal " << WTERMSIG(status) << '\n';
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::optional<std::chrono::milliseconds> interrupt;
    if (args.size() >= 2 && args[0] == "--interrupt-after") {
        interrupt = std::chrono::milliseconds(std::stoi(args[1]));
        args.erase(args.begin(), args.begin() + 2);
    }
    if (args.empty()) {
        std::cerr << "usage: run_against_simulator [--interrupt-after MS] PROGRAM [ARGS...]\n";
        return 2;
    }
    try {
        return run(std::move(args), interrupt);
    } catch (const std::exception& e) {
        std::cerr << "run_against_simulator: " << e.what() << '\n';
        return 1;
    }
}
