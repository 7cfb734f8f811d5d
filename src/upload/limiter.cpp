#include <ascpp/upload/detail/task_group.hpp>
#include <ascpp/upload/detail/wait_queue.hpp>
#include <ascpp/upload/limiter.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ascpp::upload {

// ---------------------------------------------------------------------------------------------
// wait_queue

namespace detail {

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

} // namespace detail

// ---------------------------------------------------------------------------------------------
// limiter

struct limiter::state {
    struct waiter {
        std::string host;
        parked handler;
        bool done = false;
    };

    explicit state(limiter_options o) : options(o) {}

    const limiter_options options;
    std::mutex mutex;
    std::list<std::shared_ptr<waiter>> waiters;
    std::map<std::string, std::size_t, std::less<>> per_host;
    std::size_t active = 0;
    std::size_t peak = 0;
    std::uint64_t granted = 0;

    bool allows(const std::string& host) const {
        if (active >= options.max_concurrent_parts)
            return false;
        auto it = per_host.find(host);
        return it == per_host.end() || it->second < options.max_concurrent_parts_per_host;
    }
    void take_slot(const std::string& host) {
        ++active;
        ++per_host[host];
        ++granted;
        peak = std::max(peak, active);
    }
};

limiter::limiter(limiter_options options)
    : options_(options), state_(std::make_shared<state>(options)) {
    if (options.max_concurrent_parts == 0 || options.max_concurrent_parts_per_host == 0)
        throw std::invalid_argument("upload limiter: limits must be at least 1");
}

limiter::~limiter() = default;

void limiter::enqueue(std::string host, parked handler, asio::cancellation_slot slot) {
    auto w = std::make_shared<state::waiter>();
    // Assigned before the waiter is visible to release() on other threads (see wait_queue).
    if (slot.is_connected()) {
        slot.assign([s = state_, w](asio::cancellation_type) {
            parked h;
            {
                std::lock_guard lock(s->mutex);
                if (w->done)
                    return;
                w->done = true;
                s->waiters.remove(w);
                h = std::move(w->handler);
            }
            h.complete(asio::error::operation_aborted, permit{});
        });
    }
    permit now;
    {
        std::lock_guard lock(state_->mutex);
        // Waiters still queued are held back by their own host's limit (release() hands out
        // everything else), so only those of the same host are ahead of this one.
        bool same_host_waiting = std::any_of(state_->waiters.begin(), state_->waiters.end(),
                                             [&](const auto& q) { return q->host == host; });
        if (same_host_waiting || !state_->allows(host)) {
            w->host = std::move(host);
            w->handler = std::move(handler);
            state_->waiters.push_back(w);
            return;
        }
        w->done = true;
        state_->take_slot(host);
        now = permit(state_, std::move(host));
    }
    handler.complete(boost::system::error_code{}, std::move(now));
}

limiter_stats limiter::stats() const {
    std::lock_guard lock(state_->mutex);
    return {state_->active, state_->waiters.size(), state_->peak, state_->granted};
}

std::shared_ptr<limiter> limiter::process_default() {
    static const std::shared_ptr<limiter> instance = std::make_shared<limiter>();
    return instance;
}

limiter::permit::permit(std::shared_ptr<state> s, std::string host)
    : state_(std::move(s)), host_(std::move(host)) {}

limiter::permit::permit(permit&& other) noexcept
    : state_(std::move(other.state_)), host_(std::move(other.host_)) {}

limiter::permit& limiter::permit::operator=(permit&& other) noexcept {
    if (this != &other) {
        release();
        state_ = std::move(other.state_);
        host_ = std::move(other.host_);
    }
    return *this;
}

limiter::permit::~permit() {
    release();
}

void limiter::permit::release() noexcept {
    if (!state_)
        return;
    auto s = std::move(state_);
    std::vector<std::pair<parked, permit>> ready;
    {
        std::lock_guard lock(s->mutex);
        --s->active;
        if (auto it = s->per_host.find(host_); it != s->per_host.end() && --it->second == 0)
            s->per_host.erase(it);
        // Hand freed capacity to the oldest waiters whose host has room.
        for (auto it = s->waiters.begin();
             it != s->waiters.end() && s->active < s->options.max_concurrent_parts;) {
            auto& w = *it;
            if (!s->allows(w->host)) {
                ++it;
                continue;
            }
            s->take_slot(w->host);
            w->done = true;
            ready.emplace_back(std::move(w->handler), permit(s, w->host));
            it = s->waiters.erase(it);
        }
    }
    try {
        for (auto& [h, p] : ready)
            h.complete(boost::system::error_code{}, std::move(p));
    } catch (...) {
        // post only fails on allocation failure; the permits then release themselves.
    }
}

} // namespace ascpp::upload

// ---------------------------------------------------------------------------------------------
// task_group

namespace ascpp::upload::detail {

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

} // namespace ascpp::upload::detail
