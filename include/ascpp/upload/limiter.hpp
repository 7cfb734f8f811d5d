// ascpp::upload::limiter: how many part uploads may run at once, in total and per upload host.
//
// One limiter is meant to be shared by every upload of a process (or of a tenant): pass the same
// std::shared_ptr in upload_options (and publish/batch options) and the limits hold across all
// of them. limiter::process_default() is the one used when none is given.
//
// Waiters are served first come, first served, except that a waiter whose host is at its
// per-host limit lets later waiters for other hosts go first. Thread-safe.
#pragma once

#include <ascpp/async.hpp>

#include <ascpp/detail/parked_handler.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ascpp::upload {

struct limiter_options {
    // Part uploads in flight at once across everything sharing the limiter (>= 1).
    std::size_t max_concurrent_parts = 8;
    // Part uploads in flight at once to one host (scheme://host:port) (>= 1).
    std::size_t max_concurrent_parts_per_host = 6;
};

struct limiter_stats {
    std::size_t active = 0;      // permits held now
    std::size_t waiting = 0;     // acquirers parked now
    std::size_t peak_active = 0; // highest `active` seen
    std::uint64_t granted = 0;   // permits handed out in total
};

class limiter {
    struct state;

public:
    // Throws std::invalid_argument when a limit is 0.
    explicit limiter(limiter_options options = {});
    ~limiter();
    limiter(const limiter&) = delete;
    limiter& operator=(const limiter&) = delete;

    // The right to run one part upload to `host`; released when destroyed (or release()d).
    class permit {
    public:
        permit() = default;
        permit(permit&& other) noexcept;
        permit& operator=(permit&& other) noexcept;
        ~permit();
        void release() noexcept;
        explicit operator bool() const noexcept { return state_ != nullptr; }

    private:
        friend class limiter;
        permit(std::shared_ptr<state> s, std::string host);
        std::shared_ptr<state> state_;
        std::string host_;
    };

    using signature = void(boost::system::error_code, permit);

    // Completes with a permit once both limits allow one more upload to `host`, or with
    // operation_aborted when cancelled through the token's cancellation slot while waiting.
    // Handlers without an executor of their own (plain callbacks, futures) complete on the
    // system executor.
    template <class CompletionToken = default_token>
    auto async_acquire(std::string host, CompletionToken&& token = {}) {
        return asio::async_initiate<CompletionToken, signature>(
            [this](auto handler, std::string host) {
                auto slot = asio::get_associated_cancellation_slot(handler);
                enqueue(std::move(host), parked(std::move(handler), asio::system_executor()), slot);
            },
            token, std::move(host));
    }

    limiter_stats stats() const;
    const limiter_options& options() const noexcept { return options_; }

    // The limiter shared by uploads that were given none (default limits).
    static std::shared_ptr<limiter> process_default();

private:
    using parked = ascpp::detail::parked_handler<boost::system::error_code, permit>;
    void enqueue(std::string host, parked handler, asio::cancellation_slot slot);
    limiter_options options_;
    std::shared_ptr<state> state_;
};

} // namespace ascpp::upload
