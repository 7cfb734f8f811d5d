// Conventions shared by every asynchronous ascpp operation: the default completion token, how
// an operation meets any completion token, and how a caller branches on error codes instead of
// catching exceptions.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

namespace ascpp {

namespace asio = boost::asio;

// Boost 1.81 has no library-wide default completion token, so ascpp declares its own:
// awaiting from a coroutine is the common case. Pass asio::use_future, asio::deferred, a
// callback `void(std::exception_ptr, T)`, or as_error_code(token) for `void(error_code, T)`.
using default_token = asio::use_awaitable_t<>;

// What an error code alone does not say about a failure. Filled by error_code_of.
struct diagnostics {
    std::string message;      // the failure's full text: the operation, the cause, the origin
    unsigned http_status = 0; // API failures: the response's status
    std::string operation;    // API failures: the operationId, e.g. backgroundAssets_createInstance
    std::string request_id;   // API failures: the request id to quote to Apple
    std::string apple_code;   // API failures: the first ErrorResponse code
};

// Failures that no layer's own code describes (an unexpected exception type).
enum class errc { failed = 1 };
const boost::system::error_category& category() noexcept;
inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

// The code of a failure an ascpp operation completed with (a null pointer: success), so that
// callers can branch without exceptions: http::errc, auth::key_errc, api::errc (by status),
// upload::upload_errc, workflow::watch_errc, asio::error::operation_aborted for every
// cancellation, boost::system::errc::invalid_argument for a bad request, ascpp::errc::failed
// otherwise. Fills `d` when given. Defined in the workflow layer (link ascpp::ascpp).
boost::system::error_code error_code_of(const std::exception_ptr& e,
                                        diagnostics* d = nullptr) noexcept;

// A completion token adapter: the operation completes `token` with `(error_code, T)` (or
// `(error_code)`) instead of `(std::exception_ptr, T)`, and fills `*diag` when given. A callback
// or asio::as_tuple(token) then branches without exceptions; with use_future or use_awaitable
// alone, Asio turns a code back into a thrown system_error (the code kept, the original
// exception type not). Not an aggregate: GCC 12 mishandles aggregate temporaries in co_await.
template <class Token>
struct as_error_code_t {
    as_error_code_t(Token t, diagnostics* d) : token(std::move(t)), diag(d) {}
    Token token;
    diagnostics* diag = nullptr;
};

template <class Token>
as_error_code_t<std::decay_t<Token>> as_error_code(Token&& token) {
    return {std::forward<Token>(token), nullptr};
}
template <class Token>
as_error_code_t<std::decay_t<Token>> as_error_code(Token&& token, diagnostics& diag) {
    return {std::forward<Token>(token), &diag};
}

namespace detail {

// A coroutine's cancellation state lets only terminal cancellation through by default; ascpp's
// operations stop on partial and total cancellation too (no new work starts, work under way is
// abandoned, and the operation completes with operation_aborted).
template <class T>
asio::awaitable<T> cancellable(asio::awaitable<T> op) {
    co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
    if constexpr (std::is_void_v<T>)
        co_await std::move(op);
    else
        co_return co_await std::move(op);
}

template <class T>
struct is_as_error_code : std::false_type {};
template <class Token>
struct is_as_error_code<as_error_code_t<Token>> : std::true_type {};

template <class T>
struct error_code_signature {
    using type = void(boost::system::error_code, T);
};
template <>
struct error_code_signature<void> {
    using type = void(boost::system::error_code);
};

// Starts `op` and hands its outcome, as an error code, to `handler` on the handler's executor.
struct start_with_error_code {
    template <class Handler, class Executor, class T>
    void operator()(Handler handler, Executor ex, asio::awaitable<T> op, diagnostics* diag) const {
        auto slot = asio::get_associated_cancellation_slot(handler);
        auto work = asio::make_work_guard(handler, ex);
        auto done = [handler = std::move(handler), work = std::move(work),
                     diag](std::exception_ptr e, auto&&... value) mutable {
            auto ec = error_code_of(e, diag);
            auto target = work.get_executor();
            asio::dispatch(
                target, [handler = std::move(handler), ec, ... value = std::move(value)]() mutable {
                    std::move(handler)(ec, std::move(value)...);
                });
            work.reset();
        };
        asio::co_spawn(std::move(ex), cancellable(std::move(op)),
                       asio::bind_cancellation_slot(slot, std::move(done)));
    }
};

} // namespace detail

// Runs `op` (a coroutine) on `ex` and completes `token` with `(std::exception_ptr, T)`, or with
// `(error_code, T)` for an as_error_code token. Every public async_xxx function is this over its
// coroutine, so all completion styles work and the operation honours the token's cancellation
// slot, for every cancellation type.
template <class Executor, class T, class CompletionToken>
auto run_async(Executor ex, asio::awaitable<T> op, CompletionToken&& token) {
    if constexpr (detail::is_as_error_code<std::decay_t<CompletionToken>>::value) {
        using signature = typename detail::error_code_signature<T>::type;
        std::decay_t<CompletionToken> adapted = std::forward<CompletionToken>(token);
        return asio::async_initiate<decltype(adapted.token), signature>(
            detail::start_with_error_code{}, adapted.token, std::move(ex), std::move(op),
            adapted.diag);
    } else {
        return asio::co_spawn(std::move(ex), detail::cancellable(std::move(op)),
                              std::forward<CompletionToken>(token));
    }
}

} // namespace ascpp

namespace boost::system {
template <>
struct is_error_code_enum<ascpp::errc> : std::true_type {};
} // namespace boost::system
