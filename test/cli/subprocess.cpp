#include "subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ascpp::test {

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

subprocess::subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env,
                       std::vector<std::string> drop_prefixes) {
    std::random_device rd;
    dir_ = fs::temp_directory_path() /
           ("ascpp-subprocess-" + std::to_string(rd()) + "-" + std::to_string(::getpid()));
    fs::create_directories(dir_);

    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        std::string_view entry(*e);
        auto name = entry.substr(0, entry.find('='));
        bool drop = env.count(std::string(name)) > 0;
        for (const auto& p : drop_prefixes)
            drop = drop || name.starts_with(p);
        if (!drop)
            env_strings.emplace_back(entry);
    }
    for (const auto& [k, v] : env)
        env_strings.push_back(k + "=" + v);

    std::vector<char*> cargv, cenv;
    for (auto& a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (auto& e : env_strings)
        cenv.push_back(e.data());
    cenv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    auto out = (dir_ / "out").string(), err = (dir_ / "err").string();
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    // The child starts with default signal dispositions and an empty mask, whatever the test
    // runner set.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = ::posix_spawn(&pid_, cargv[0], &actions, &attr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

subprocess::~subprocess() {
    if (!status_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void subprocess::signal(int sig) {
    if (!status_)
        ::kill(pid_, sig);
}

bool subprocess::exited() {
    if (status_)
        return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_)
        status_ = status;
    return status_.has_value();
}

std::string subprocess::err_so_far() const {
    return slurp(dir_ / "err");
}

process_result subprocess::collect(int status) {
    process_result r;
    if (WIFEXITED(status))
        r.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        r.exit_code = 128 + WTERMSIG(status);
    r.out = slurp(dir_ / "out");
    r.err = slurp(dir_ / "err");
    return r;
}

process_result subprocess::wait(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!exited()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            status_ = status;
            auto r = collect(status);
            r.err += "\n[test: killed after " + std::to_string(limit.count()) + " ms]";
            return r;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return collect(*status_);
}

process_result run_process(std::vector<std::string> argv, std::map<std::string, std::string> env,
                           std::chrono::milliseconds limit) {
    subprocess p(std::move(argv), std::move(env));
    return p.wait(limit);
}

} // namespace ascpp::test
