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
