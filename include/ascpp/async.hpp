// Conventions shared by every asynchronous ascpp operation.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <utility>

namespace ascpp {

namespace asio = boost::asio;

// Boost 1.81 has no library-wide default completion token, so ascpp declares its own:
// awaiting from a coroutine is the common case. Pass asio::use_future, asio::deferred or a
// callback `void(std::exception_ptr, T)` for the other styles.
using default_token = asio::use_awaitable_t<>;

// Runs `op` (a coroutine) on `ex` and completes `token` with `(std::exception_ptr, T)`.
// Every public async_xxx function is this over its coroutine, so all completion styles work and
// the operation honours the token's cancellation slot.
template <class Executor, class T, class CompletionToken>
auto run_async(Executor ex, asio::awaitable<T> op, CompletionToken&& token) {
    return asio::co_spawn(std::move(ex), std::move(op), std::forward<CompletionToken>(token));
}

} // namespace ascpp
