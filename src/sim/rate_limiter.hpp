// Apple's hourly request budget per API key, over a rolling window, reported on every response
// as `X-Rate-Limit: user-hour-lim:N;user-hour-rem:M;`.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ascpp::sim {

class rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    struct verdict {
        bool allowed = true;
        std::uint32_t limit = 0;
        std::uint32_t remaining = 0;
        std::string header() const {
            return "user-hour-lim:" + std::to_string(limit) +
                   ";user-hour-rem:" + std::to_string(remaining) + ";";
        }
    };

    rate_limiter(std::uint32_t limit, std::chrono::milliseconds window)
        : limit_(limit), window_(window) {}

    // Counts one request for `key` when the budget allows it.
    verdict take(const std::string& key, clock::time_point now) {
        std::lock_guard lock(mutex_);
        auto& q = requests_[key];
        while (!q.empty() && now - q.front() >= window_)
            q.pop_front();
        if (q.size() >= limit_)
            return {false, limit_, 0};
        q.push_back(now);
        return {true, limit_, static_cast<std::uint32_t>(limit_ - q.size())};
    }

    // The header for a request that counts against no key (it was not authenticated).
    verdict peek() const {
        std::lock_guard lock(mutex_);
        return {true, limit_, limit_};
    }

    // A new limit and window (counted requests are kept: they leave the new window by its
    // own length).
    void set(std::uint32_t limit, std::chrono::milliseconds window) {
        std::lock_guard lock(mutex_);
        limit_ = limit;
        window_ = window;
    }
    std::uint32_t limit() const {
        std::lock_guard lock(mutex_);
        return limit_;
    }
    std::chrono::milliseconds window() const {
        std::lock_guard lock(mutex_);
        return window_;
    }

    void clear() {
        std::lock_guard lock(mutex_);
        requests_.clear();
    }

private:
    mutable std::mutex mutex_;
    std::uint32_t limit_;
    std::chrono::milliseconds window_;
    // Bounded: at most `limit_` timestamps per key.
    std::unordered_map<std::string, std::deque<clock::time_point>> requests_;
};

} // namespace ascpp::sim
