#include <ascpp/detail/task_group.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>

#include <list>
#include <mutex>
#include <utility>
#include <vector>

namespace ascpp::detail {

struct task_group::state {
    explicit state(asio::any_io_executor ex) : strand(ex), done(ex) {}

    asio::any_io_executor strand;
    std::mutex mutex;
    std::list<std::shared_ptr<asio::cancellation_signal>> signals; // of running tasks
    std::exception_ptr first_error;
    std::atomic<std::size_t> running{0};
    wait_queue done;

    void cancel_all() {
        std::vector<std::shared_ptr<asio::cancellation_signal>> targets;
        {
            std::lock_guard lock(mutex);
            targets.assign(signals.begin(), signals.end());
        }
        // A signal must be emitted where its task runs: on the strand.
        asio::dispatch(strand, [targets = std::move(targets)] {
            for (auto& s : targets)
                s->emit(asio::cancellation_type::terminal);
        });
    }
};

task_group::task_group(asio::any_io_executor strand)
    : state_(std::make_shared<state>(std::move(strand))) {}

task_group::~task_group() = default;

std::size_t task_group::running() const noexcept {
    return state_->running.load();
}

void task_group::cancel_all() {
    state_->cancel_all();
}

void task_group::spawn(asio::awaitable<void> task) {
    auto sig = std::make_shared<asio::cancellation_signal>();
    std::list<std::shared_ptr<asio::cancellation_signal>>::iterator pos;
    {
        std::lock_guard lock(state_->mutex);
        pos = state_->signals.insert(state_->signals.end(), sig);
        ++state_->running;
    }
    auto on_done = [s = state_, pos](std::exception_ptr e) {
        bool cancel_others = false;
        {
            std::lock_guard lock(s->mutex);
            s->signals.erase(pos);
            if (e && !s->first_error) {
                s->first_error = e;
                cancel_others = true;
            }
        }
        if (cancel_others)
            s->cancel_all();
        if (--s->running == 0)
            s->done.notify_all();
    };
    asio::co_spawn(state_->strand, std::move(task),
                   asio::bind_cancellation_slot(
                       sig->slot(), asio::bind_executor(state_->strand, std::move(on_done))));
}

asio::awaitable<void> task_group::join() {
    auto s = state_;
    bool cancelled = false;
    for (;;) {
        try {
            // A raw pointer: GCC 12 destroys the captures of a lambda in a co_await twice.
            auto* st = s.get();
            co_await s->done.async_wait_unless([st] { return st->running.load() == 0; },
                                               asio::use_awaitable);
            break;
        } catch (const boost::system::system_error& e) {
            if (e.code() != asio::error::operation_aborted)
                throw;
            // Cancelled while tasks run: stop them, then keep waiting for them to finish.
            cancelled = true;
            s->cancel_all();
        }
        co_await asio::this_coro::reset_cancellation_state();
        co_await asio::this_coro::throw_if_cancelled(false);
    }
    std::exception_ptr first;
    {
        std::lock_guard lock(s->mutex);
        first = s->first_error;
    }
    if (first)
        std::rethrow_exception(first);
    if (cancelled)
        throw boost::system::system_error(asio::error::operation_aborted);
}

} // namespace ascpp::detail
