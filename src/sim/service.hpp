// The state every part of the simulator shares: options, the store (under one mutex), keys,
// rate limiter, faults, statistics, and the executors that run sessions, timers and hashing.
#pragma once

#include "fault_injector.hpp"
#include "jwt_verifier.hpp"
#include "rate_limiter.hpp"
#include "store.hpp"

#include <ascpp/sim/simulator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace ascpp::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

class stats_collector {
public:
    void request(const std::string& route) {
        std::lock_guard lock(mutex_);
        ++s_.requests[route];
    }
    void response(unsigned status) {
        std::lock_guard lock(mutex_);
        ++s_.responses[status];
    }
    void fault(fault_kind k) {
        std::lock_guard lock(mutex_);
        ++s_.faults[fault_kind_name(k)];
    }
    void upload_bytes(std::uint64_t n) {
        std::lock_guard lock(mutex_);
        s_.upload_bytes_received += n;
    }
    void part_received() {
        std::lock_guard lock(mutex_);
        ++s_.parts_received;
    }
    void part_digested() {
        std::lock_guard lock(mutex_);
        ++s_.parts_digested;
    }
    void upload_authorization() {
        std::lock_guard lock(mutex_);
        ++s_.upload_authorization_headers;
    }
    void part_upload_started() {
        std::lock_guard lock(mutex_);
        ++concurrent_parts_;
        s_.peak_concurrent_part_uploads =
            std::max<std::uint64_t>(s_.peak_concurrent_part_uploads, concurrent_parts_);
    }
    void part_upload_ended() {
        std::lock_guard lock(mutex_);
        --concurrent_parts_;
    }
    enum class checksum_verdict { matched, mismatched, absent };
    void checksum(checksum_verdict v) {
        std::lock_guard lock(mutex_);
        switch (v) {
        case checksum_verdict::matched:
            ++s_.checksums_matched;
            break;
        case checksum_verdict::mismatched:
            ++s_.checksums_mismatched;
            break;
        case checksum_verdict::absent:
            ++s_.checksums_absent;
            break;
        }
    }
    void unauthorized() {
        std::lock_guard lock(mutex_);
        ++s_.unauthorized;
    }
    void rate_limited() {
        std::lock_guard lock(mutex_);
        ++s_.rate_limited;
    }
    void webhook_delivery() {
        std::lock_guard lock(mutex_);
        ++s_.webhook_deliveries;
    }
    void webhook_post() {
        std::lock_guard lock(mutex_);
        ++s_.webhook_posts;
    }
    void webhook_acknowledged() {
        std::lock_guard lock(mutex_);
        ++s_.webhook_acknowledged;
    }
    void webhook_failed_post() {
        std::lock_guard lock(mutex_);
        ++s_.webhook_failed_posts;
    }
    void webhook_abandoned() {
        std::lock_guard lock(mutex_);
        ++s_.webhook_abandoned;
    }
    simulator_stats snapshot() const {
        std::lock_guard lock(mutex_);
        return s_;
    }
    void reset() {
        std::lock_guard lock(mutex_);
        s_ = simulator_stats{};
        // Uploads in progress keep counting down from where they are.
        s_.peak_concurrent_part_uploads = concurrent_parts_;
    }

private:
    mutable std::mutex mutex_;
    simulator_stats s_;
    std::uint64_t concurrent_parts_ = 0;
};

class webhook_dispatcher;

struct service {
    service(simulator_options o, asio::io_context& io, asio::thread_pool& hash_pool)
        : options(std::move(o)), db(options.seed),
          keys(options.max_token_lifetime, options.clock_skew),
          limiter(options.rate_limit, options.rate_limit_window), faults(options.seed), io(io),
          hash_pool(hash_pool) {}

    simulator_options options;
    std::string api_base;    // https://host:port
    std::string upload_base; // https://host:port
    std::filesystem::path spool_dir;
    std::uint64_t cursor_key = 0;

    // Guards `db` and everything reachable from it, and the processing timers' options
    // (options.*_processing_*), which the control API may change while the simulator runs.
    std::mutex mutex;
    store db;
    std::mt19937_64 processing_rng{options.seed};

    // Under `mutex`: how long a version whose asset file has `bytes` takes to process.
    std::chrono::milliseconds version_processing_time(std::uint64_t bytes) {
        double ms = static_cast<double>(options.version_processing_delay.count()) +
                    static_cast<double>(options.version_processing_per_mib.count()) *
                        static_cast<double>(bytes) / (1024.0 * 1024.0);
        if (options.version_processing_spread > 0) {
            std::normal_distribution<double> z(0.0, options.version_processing_spread);
            ms *= std::exp(z(processing_rng));
        }
        return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
    }

    jwt_verifier keys;
    rate_limiter limiter;
    fault_injector faults;
    stats_collector stats;

    asio::io_context& io;
    asio::thread_pool& hash_pool; // spooled parts' digests, in-order parts' chunk hashes
    std::atomic<bool> stopping{false};
    // Set once at start, before any request is served.
    std::shared_ptr<webhook_dispatcher> webhooks;

    // Runs `fn` on the io_context after `delay` (never blocks a thread meanwhile); while
    // processing is paused, `fn` waits for set_paused(false).
    void schedule(std::chrono::milliseconds delay, std::function<void()> fn);
    void set_paused(bool paused);
    // Runs `fn` now, or keeps it for later when processing is paused.
    void run_or_hold(std::function<void()> fn);

private:
    std::mutex hold_mutex_;
    bool paused_ = false;
    std::vector<std::function<void()>> held_;
};

// The two kinds of connections the simulator serves (http_server.cpp).
using response_type = http::response<http::string_body>;

} // namespace ascpp::sim
