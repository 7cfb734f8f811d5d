// Parked asynchronous waiters, resumed all at once or one by one. Thread-safe.
//
// A waiter is resumed exactly once: by notify_one/notify_all (with the error code given there) or
// by its own cancellation slot (with operation_aborted). Handlers run on their associated
// executor (a coroutine's own), never inside notify_*.
#pragma once

#include <ascpp/detail/parked_handler.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <functional>
#include <memory>

namespace ascpp {
// As in <ascpp/async.hpp>: every layer of the library spells Boost.Asio `asio`.
namespace asio = boost::asio;
} // namespace ascpp

namespace ascpp::detail {

class wait_queue {
public:
    using signature = void(boost::system::error_code);

    // `fallback` runs handlers that have no associated executor (plain callbacks).
    explicit wait_queue(asio::any_io_executor fallback);
    ~wait_queue();
    wait_queue(const wait_queue&) = delete;
    wait_queue& operator=(const wait_queue&) = delete;

    template <class CompletionToken>
    auto async_wait(CompletionToken&& token) {
        return asio::async_initiate<CompletionToken, signature>(
            [this](auto handler) {
                auto slot = asio::get_associated_cancellation_slot(handler);
                park(parked(std::move(handler), fallback_), slot);
            },
            token);
    }
    // Throws boost::system::system_error (operation_aborted when cancelled, or the code given to
    // notify_*).
    asio::awaitable<void> wait() { return async_wait(asio::use_awaitable); }

    // Like async_wait, but `ready` is checked under the queue's lock first: when it is true the
    // wait completes at once. A notifier that changes what `ready` reads before calling notify_*
    // can therefore never be missed (no lost wake-up between the check and the park).
    template <class Predicate, class CompletionToken>
    auto async_wait_unless(Predicate ready, CompletionToken&& token) {
        return asio::async_initiate<CompletionToken, signature>(
            [this](auto handler, Predicate ready) {
                auto slot = asio::get_associated_cancellation_slot(handler);
                park(parked(std::move(handler), fallback_), slot,
                     std::function<bool()>(std::move(ready)));
            },
            token, std::move(ready));
    }

    // Resumes every waiter parked now; returns how many.
    std::size_t notify_all(boost::system::error_code ec = {});
    // Resumes the oldest waiter; false when none is parked.
    bool notify_one(boost::system::error_code ec = {});
    std::size_t size() const;

private:
    struct state;
    using parked = parked_handler<boost::system::error_code>;
    void park(parked handler, asio::cancellation_slot slot, std::function<bool()> ready = {});
    asio::any_io_executor fallback_;
    std::shared_ptr<state> state_;
};

} // namespace ascpp::detail
