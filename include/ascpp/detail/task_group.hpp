// Structured concurrency for coroutines: start tasks, then join them all.
//
// The first task to fail cancels the others; cancelling the joiner cancels every task. join()
// returns only when every task has finished (so tasks may reference the joiner's frame) and
// rethrows the first failure. Give it a strand (or a single-threaded executor): cancellation is
// delivered to the tasks through it.
#pragma once

#include <ascpp/detail/wait_queue.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>

namespace ascpp::detail {

class task_group {
public:
    explicit task_group(asio::any_io_executor strand);
    ~task_group();
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;

    void spawn(asio::awaitable<void> task);
    // Waits for every task spawned so far (and those they spawn meanwhile).
    asio::awaitable<void> join();
    // Asks every running task to stop (terminal cancellation).
    void cancel_all();
    std::size_t running() const noexcept;

private:
    struct state;
    std::shared_ptr<state> state_;
};

} // namespace ascpp::detail
