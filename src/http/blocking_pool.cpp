#include <ascpp/detail/blocking.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <thread>

namespace ascpp::detail {

namespace asio = boost::asio;

asio::any_io_executor blocking_pool() {
    // Never destroyed: a job may still be finishing while the process exits. One pool for
    // hashing and reading, so they share the cores left to them instead of competing with
    // twice the threads.
    static auto* pool =
        new asio::thread_pool(std::max(1u, std::thread::hardware_concurrency() / 2));
    return pool->get_executor();
}

asio::awaitable<void> run_blocking(std::function<void()> work) {
    // Named, not written inside the co_await: GCC 12 destroys the captures of a lambda
    // temporary in a co_await expression twice.
    auto job = [work = std::move(work)]() -> asio::awaitable<void> {
        work();
        co_return;
    };
    // Not cancellable: a job is short, and one that was asked for must happen (a journal save of
    // an acknowledged part skipped by a cancellation would make the next run send it again).
    co_await asio::co_spawn(
        blocking_pool(), std::move(job),
        asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

} // namespace ascpp::detail
