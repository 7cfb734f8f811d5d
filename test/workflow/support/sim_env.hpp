// What the workflow tests share: a scratch directory, reproducible file contents, an API client
// configured for a simulator's key, and an io_context the test thread drives until an operation
// is done (bounded, so a hang fails the test instead of stalling the run).
#pragma once

#include <boost/test/unit_test.hpp>

#include <ascpp/api/client.hpp>
#include <ascpp/auth/private_key.hpp>
#include <ascpp/sim/simulator.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <system_error>

namespace ascpp::testing {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using namespace std::chrono_literals;

// A directory of its own under the system's temporary directory, removed with everything in it.
struct temp_dir {
    fs::path path;
    explicit temp_dir(const std::string& prefix) {
        std::random_device rd;
        path = fs::temp_directory_path() /
               (prefix + std::to_string(rd()) + "-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    fs::path write(const std::string& name, const std::string& bytes) const {
        auto p = path / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary)
            .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return p;
    }
};

// `n` bytes that depend only on `seed`.
inline std::string make_bytes(std::size_t n, std::uint32_t seed) {
    std::string out(n, '\0');
    std::mt19937 rng(seed);
    for (auto& c : out)
        c = static_cast<char>(rng() & 0xFF);
    return out;
}

// A client of the simulator's API with `key`, trusting the simulator's CA.
inline api::client_config client_config(const sim::simulator& s, const sim::api_credentials& key) {
    api::client_config c;
    c.base_url = s.api_url();
    c.ca_file = s.ca_file();
    c.key_id = key.key_id;
    c.issuer_id = key.issuer_id;
    c.private_key = auth::private_key::from_pem(key.private_key_pem);
    return c;
}

// Runs `io` on this thread until `f` is ready; fails the test after `limit`.
template <class Future>
void drive(asio::io_context& io, Future& f, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (f.wait_for(0s) != std::future_status::ready) {
        BOOST_TEST_REQUIRE((std::chrono::steady_clock::now() < deadline), "operation hung");
        io.run_one_for(20ms);
    }
}

template <class T>
T run(asio::io_context& io, asio::awaitable<T> op, std::chrono::seconds limit) {
    auto f = asio::co_spawn(io, std::move(op), asio::use_future);
    drive(io, f, limit);
    return f.get();
}

// A simulator, a client on an io_context that the test thread runs, and a scratch directory.
// The client retries quickly (5 ms, at most 50 ms, Retry-After capped at 100 ms).
struct sim_client_env {
    sim_client_env(sim::simulator_options o, const std::string& dir_prefix)
        : sim(std::move(o)), dir(dir_prefix) {
        key = sim.create_api_key();
        auto c = client_config(sim, key);
        c.retry.initial_delay = 5ms;
        c.retry.max_delay = 50ms;
        c.retry.max_retry_after = 100ms;
        client = std::make_unique<api::client>(io.get_executor(), std::move(c));
    }
    ~sim_client_env() {
        client.reset();
        // Let the transport's handlers see that it is gone before the io_context goes.
        for (int i = 0; i < 100 && io.poll() > 0; ++i) {
        }
    }
    sim_client_env(const sim_client_env&) = delete;
    sim_client_env& operator=(const sim_client_env&) = delete;

    sim::simulator sim;
    sim::api_credentials key;
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::unique_ptr<api::client> client;
    temp_dir dir;

    const std::string& app() const { return sim.options().app_ids.front(); }

    template <class Future>
    void drive(Future& f, std::chrono::seconds limit = 90s) {
        testing::drive(io, f, limit);
    }
    template <class T>
    T run(asio::awaitable<T> op, std::chrono::seconds limit = 90s) {
        return testing::run(io, std::move(op), limit);
    }
};

} // namespace ascpp::testing
