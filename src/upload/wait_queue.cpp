#include <ascpp/detail/wait_queue.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>

#include <list>
#include <mutex>
#include <utility>

namespace ascpp::detail {

struct wait_queue::state {
    struct waiter {
        parked handler;
        bool done = false;
    };
    std::mutex mutex;
    std::list<std::shared_ptr<waiter>> waiters;

    // Takes a waiter out (under the lock); the caller completes it after unlocking.
    // By value: callers pass waiters.front(), which remove() destroys.
    parked take(std::shared_ptr<waiter> w) {
        w->done = true;
        waiters.remove(w);
        return std::move(w->handler);
    }
};

wait_queue::wait_queue(asio::any_io_executor fallback)
    : fallback_(std::move(fallback)), state_(std::make_shared<state>()) {}

wait_queue::~wait_queue() {
    // Nobody may be left waiting on a queue that goes away: wake them with an error.
    notify_all(asio::error::operation_aborted);
}

void wait_queue::park(parked handler, asio::cancellation_slot slot, std::function<bool()> ready) {
    auto w = std::make_shared<state::waiter>();
    // The slot is assigned before the waiter becomes visible to notifiers, so a resumption on
    // another thread can never race with this assignment. It holds the state and the waiter,
    // not the queue, because it may outlive both the wait and the queue object.
    if (slot.is_connected()) {
        slot.assign([s = state_, w](asio::cancellation_type) {
            parked h;
            {
                std::lock_guard lock(s->mutex);
                if (w->done)
                    return;
                h = s->take(w);
            }
            h.complete(asio::error::operation_aborted);
        });
    }
    {
        std::lock_guard lock(state_->mutex);
        if (!ready || !ready()) {
            w->handler = std::move(handler);
            state_->waiters.push_back(w);
            return;
        }
        w->done = true;
    }
    handler.complete(boost::system::error_code{});
}

std::size_t wait_queue::notify_all(boost::system::error_code ec) {
    std::vector<parked> ready;
    {
        std::lock_guard lock(state_->mutex);
        ready.reserve(state_->waiters.size());
        while (!state_->waiters.empty())
            ready.push_back(state_->take(state_->waiters.front()));
    }
    for (auto& h : ready)
        h.complete(ec);
    return ready.size();
}

bool wait_queue::notify_one(boost::system::error_code ec) {
    parked h;
    {
        std::lock_guard lock(state_->mutex);
        if (state_->waiters.empty())
            return false;
        h = state_->take(state_->waiters.front());
    }
    h.complete(ec);
    return true;
}

std::size_t wait_queue::size() const {
    std::lock_guard lock(state_->mutex);
    return state_->waiters.size();
}

} // namespace ascpp::detail
