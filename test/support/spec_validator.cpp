#include <support/spec_validator.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace ascpp::test {
namespace {

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : std::move(fallback);
}

// The python process and its two pipes. Started on first use, ended at exit.
class validator_process {
public:
    std::vector<std::string> ask(const boost::json::object& request) {
        std::lock_guard lock(mutex_);
        if (pid_ <= 0)
            start();
        std::string line = boost::json::serialize(request);
        line.push_back('\n');
        write_all(line);
        std::string answer = read_line();
        auto v = boost::json::parse(answer);
        std::vector<std::string> problems;
        for (const auto& p : v.at("problems").as_array())
            problems.emplace_back(p.as_string());
        return problems;
    }

    ~validator_process() {
        if (pid_ > 0) {
            ::close(to_child_); // EOF ends the serve loop
            ::close(from_child_);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
    }

private:
    void start() {
        std::string python = ASCPP_SYSTEM_PYTHON;
        std::string source = env_or("ASCPP_SOURCE_DIR", "");
        std::string spec = env_or("ASCPP_SPEC", source + "/spec/background-assets.openapi.json");
        if (source.empty())
            throw std::runtime_error("spec_validator: ASCPP_SOURCE_DIR is not set");
        std::string script = source + "/test/conformance/validate.py";

        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
            throw std::runtime_error("spec_validator: pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        std::string serve = "--serve";
        char* argv[] = {python.data(), script.data(), spec.data(), serve.data(), nullptr};
        pid_t pid = 0;
        int rc = ::posix_spawn(&pid, python.c_str(), &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(in[0]);
        ::close(out[1]);
        if (rc != 0) {
            ::close(in[1]);
            ::close(out[0]);
            throw std::runtime_error("spec_validator: cannot start " + python);
        }
        // A dead validator must fail the check, not kill the test with SIGPIPE.
        std::signal(SIGPIPE, SIG_IGN);
        pid_ = pid;
        to_child_ = in[1];
        from_child_ = out[0];
    }

    void write_all(const std::string& s) {
        std::size_t done = 0;
        while (done < s.size()) {
            ssize_t n = ::write(to_child_, s.data() + done, s.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                throw std::runtime_error("spec_validator: the validator process went away");
            done += static_cast<std::size_t>(n);
        }
    }

    std::string read_line() {
        for (;;) {
            if (auto pos = buffer_.find('\n'); pos != std::string::npos) {
                std::string line = buffer_.substr(0, pos);
                buffer_.erase(0, pos + 1);
                return line;
            }
            char chunk[65536];
            ssize_t n = ::read(from_child_, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                throw std::runtime_error(
                    "spec_validator: the validator process went away "
                    "(is /usr/bin/python3 with python3-jsonschema installed?)");
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    std::mutex mutex_;
    pid_t pid_ = -1;
    int to_child_ = -1;
    int from_child_ = -1;
    std::string buffer_;
};

validator_process& process() {
    static validator_process p;
    return p;
}

} // namespace

std::vector<std::string> spec_validator::check(std::string_view schema_name,
                                               const boost::json::value& document, bool strict) {
    boost::json::object request;
    request["schema"] = schema_name;
    request["document"] = document;
    request["strict"] = strict;
    return process().ask(request);
}

std::vector<std::string> spec_validator::check_text(std::string_view schema_name,
                                                    std::string_view json, bool strict) {
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec)
        return {"(root): not JSON: " + ec.message()};
    return check(schema_name, v, strict);
}

std::string spec_validator::describe(const std::vector<std::string>& problems) {
    std::string out;
    for (const auto& p : problems) {
        if (!out.empty())
            out += "\n  ";
        out += p;
    }
    return out.empty() ? "valid" : out;
}

} // namespace ascpp::test
