// The pools' bookkeeping and the grant decision, without I/O or locks: which request gets an idle
// connection, which may open a new one, and which connections must be closed to make room.
// http::client calls these under its mutex; the tests call them with a stand-in connection.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ascpp::http::detail {

// What a request is granted by the pool: an idle connection to reuse, or (null) the right to
// open a new one, already counted against the bounds.
template <class Conn>
struct pool_grant {
    std::unique_ptr<Conn> conn;
};

template <class Conn>
struct origin_pool {
    std::vector<std::unique_ptr<Conn>> idle; // most recently used last
    std::size_t open = 0;                    // idle + in use + being opened
};

template <class Conn>
struct pool_state {
    std::map<std::string, origin_pool<Conn>> pools; // by origin key
    std::size_t total_open = 0;
    std::size_t peak_open = 0; // the most connections open at once (opening ones included)
};

struct pool_bounds {
    std::size_t per_origin = 1;
    std::size_t total = 1;
};

// Grants what the pool can give `key` now, or nullopt when the request must wait. `fresh` asks for
// a new connection (the retry after a connection closed while idle). `reusable(conn)` tells
// whether an idle connection still looks usable; `has_waiters(key)` whether requests of that
// origin wait. Connections the grant displaces are moved to `close`.
template <class Conn, class Reusable, class HasWaiters>
std::optional<pool_grant<Conn>> grant_connection(pool_state<Conn>& s, const std::string& key,
                                                 bool fresh, const pool_bounds& bounds,
                                                 Reusable&& reusable, HasWaiters&& has_waiters,
                                                 std::vector<std::unique_ptr<Conn>>& close) {
    auto& pool = s.pools[key];
    while (!pool.idle.empty()) {
        auto c = std::move(pool.idle.back());
        pool.idle.pop_back();
        if (fresh) {
            // The retry wants a new connection: this idle one gives up its place.
            close.push_back(std::move(c));
            return pool_grant<Conn>{};
        }
        if (reusable(*c))
            return pool_grant<Conn>{std::move(c)};
        // The server closed it while idle: drop it and look further.
        close.push_back(std::move(c));
        --pool.open;
        --s.total_open;
    }
    if (pool.open >= bounds.per_origin)
        return std::nullopt;
    if (s.total_open < bounds.total) {
        ++pool.open;
        ++s.total_open;
        s.peak_open = std::max(s.peak_open, s.total_open);
        return pool_grant<Conn>{};
    }
    // Full overall: the oldest idle connection of another origin makes room, unless that origin
    // has requests waiting for it. Taking it anyway would make two busy origins close and reopen
    // each other's connections; an origin with nothing open may always take one, so none starves.
    for (auto& [other_key, other] : s.pools) {
        if (&other == &pool || other.idle.empty())
            continue;
        if (pool.open > 0 && has_waiters(other_key))
            continue;
        close.push_back(std::move(other.idle.front()));
        other.idle.erase(other.idle.begin());
        --other.open;
        ++pool.open;
        return pool_grant<Conn>{};
    }
    return std::nullopt;
}

// Moves the idle connections for which `expired(conn)` holds to `close`, and uncounts them.
template <class Conn, class Expired>
void evict_idle(pool_state<Conn>& s, Expired&& expired, std::vector<std::unique_ptr<Conn>>& close) {
    for (auto& [key, pool] : s.pools) {
        auto& idle = pool.idle;
        auto keep = std::stable_partition(idle.begin(), idle.end(),
                                          [&](const auto& c) { return !expired(*c); });
        for (auto it = keep; it != idle.end(); ++it)
            close.push_back(std::move(*it));
        const auto evicted = static_cast<std::size_t>(idle.end() - keep);
        idle.erase(keep, idle.end());
        pool.open -= evicted;
        s.total_open -= evicted;
    }
}

// Takes a connection back after use: idle again when `keep`, else closed and uncounted.
template <class Conn>
void give_back_connection(pool_state<Conn>& s, const std::string& key, std::unique_ptr<Conn> c,
                          bool keep, std::vector<std::unique_ptr<Conn>>& close) {
    auto& pool = s.pools[key];
    if (keep) {
        pool.idle.push_back(std::move(c));
        return;
    }
    close.push_back(std::move(c));
    --pool.open;
    --s.total_open;
}

// Uncounts the right to open a connection that a grant gave and the request did not use.
template <class Conn>
void release_slot(pool_state<Conn>& s, const std::string& key) {
    --s.pools[key].open;
    --s.total_open;
}

} // namespace ascpp::http::detail
