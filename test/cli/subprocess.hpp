// A child process for the command-line tests: argv, an environment, stdout and stderr captured
// in files, signals, and a bounded wait.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ascpp::test {

struct process_result {
    int exit_code = -1; // the exit status, or 128 + signal number when killed by a signal
    std::string out;
    std::string err;
};

class subprocess {
public:
    // Starts argv[0] (a path) with the parent's environment, minus every variable starting with
    // one of `drop_prefixes`, plus `env`. stdin is /dev/null. Throws std::runtime_error.
    subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
               std::vector<std::string> drop_prefixes = {"ASC_"});
    ~subprocess(); // kills and reaps the child if still running
    subprocess(const subprocess&) = delete;
    subprocess& operator=(const subprocess&) = delete;

    pid_t pid() const noexcept { return pid_; }
    void signal(int sig);
    // Whether the child has exited (reaps it if so).
    bool exited();
    // Waits at most `limit`; past it the child is killed and the result says so (exit 137 and a
    // note in err).
    process_result wait(std::chrono::milliseconds limit = std::chrono::seconds(120));
    // What the child wrote to stderr so far.
    std::string err_so_far() const;

private:
    process_result collect(int status);
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::filesystem::path dir_;
};

// Runs to completion (bounded by `limit`).
process_result run_process(std::vector<std::string> argv,
                           std::map<std::string, std::string> env = {},
                           std::chrono::milliseconds limit = std::chrono::seconds(120));

} // namespace ascpp::test
