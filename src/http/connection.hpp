// Internal to ascpp::http: one origin, one pooled connection, and the two things a request does
// with a connection (open it, exchange one request and response on it).
#pragma once

#include <ascpp/http/client.hpp>

#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace ascpp::http::detail {

namespace beast = boost::beast;
using clock = std::chrono::steady_clock;
using strand = asio::strand<asio::any_io_executor>;

// Scheme, host and port of a request URL: the unit of pooling.
struct origin {
    bool tls = true;
    std::string host; // lower case; an IP address without brackets
    bool host_is_ip = false;
    std::uint16_t port = 0;
    std::string name;        // "https://host:port" (IPv6 in brackets), in messages
    std::string host_header; // the Host header: port omitted when it is the scheme's default
    // The proxy the connection tunnels through (owned by the client), or null.
    const proxy_settings* proxy = nullptr;
    // The pool key: the name, and the proxy when there is one (tunnelled and direct connections
    // to one origin never share a pool).
    std::string key;
};

// Throws transport_error (invalid_url, insecure_scheme). The route (proxy, key) is direct.
origin origin_of(const boost::urls::url& url, const client_options& options);

bool is_loopback(const std::string& host, bool host_is_ip);

// The counters of client_stats, updated by every request; one small lock so a snapshot is
// consistent.
// The transport's counters, added to from every connection's strand. Relaxed atomics rather than
// a lock: each counter only grows and is read on its own, so a snapshot need not be one instant
// across counters (a byte count may include a request that requests_sent does not yet).
class stats_recorder {
public:
    using counter = std::atomic<std::uint64_t>;

    void add(counter stats_recorder::*c, std::uint64_t n = 1) noexcept {
        (this->*c).fetch_add(n, std::memory_order_relaxed);
    }
    // connections_open and connections_open_peak are the pool's; the client fills them in.
    client_stats snapshot() const noexcept {
        client_stats s;
        s.connections_opened = connections_opened.load(std::memory_order_relaxed);
        s.connections_reused = connections_reused.load(std::memory_order_relaxed);
        s.requests_retried = requests_retried.load(std::memory_order_relaxed);
        s.requests_sent = requests_sent.load(std::memory_order_relaxed);
        s.bytes_sent = bytes_sent.load(std::memory_order_relaxed);
        s.bytes_received = bytes_received.load(std::memory_order_relaxed);
        return s;
    }

    counter connections_opened{0};
    counter connections_reused{0};
    counter requests_retried{0};
    counter requests_sent{0};
    counter bytes_sent{0};
    counter bytes_received{0};
};

// One keep-alive connection. All its I/O objects live on its own strand, and every operation on
// it runs as a coroutine on that strand, so Beast's internal timeout timer never races a read.
// Owned by exactly one request at a time, or by the pool while idle.
struct connection {
    connection(strand ex, const origin& o, asio::ssl::context* tls_context);
    ~connection();

    beast::tcp_stream& tcp();
    // Whether an idle connection still looks usable: the peer has not closed it and has sent
    // nothing unasked (a TLS close_notify, say). Never blocks.
    bool looks_reusable();
    void close() noexcept;

    strand executor;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
    std::optional<beast::tcp_stream> plain;
    beast::flat_buffer buffer;
    std::size_t requests_served = 0;
    clock::time_point idle_since{};
};

// A request body that is a file range: the open descriptor and the checked range.
struct file_source {
    int fd = -1;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::string display; // the file name, for messages
    const std::function<held_bytes(std::uint64_t, std::size_t)>* held = nullptr; // file_range::held
};

// What one attempt needs: everything is owned by the caller and outlives the attempt.
struct attempt_args {
    const origin& where;
    const request& req;
    const client_options& options;
    const file_source* file = nullptr;
    clock::time_point deadline;
    std::chrono::milliseconds request_timeout;
    std::size_t max_response_body = 0;
    stats_recorder& stats;
};

struct attempt_result {
    response resp;
    bool reusable = false; // complete, keep-alive, nothing unread
};

// A failed attempt: a transport_error that also says whether no response byte had arrived, so
// the caller can decide on its one safe retry.
class attempt_error : public transport_error {
public:
    attempt_error(errc e, const std::string& what, bool before_response)
        : transport_error(e, what), before_response(before_response) {}
    bool before_response;
};

// Maps a failed write or read to the transport's error. `got_some`: a byte of the response has
// arrived, which rules out the safe retry. Callers read `cancelled` before the throw statement:
// GCC 12 destroys the exception twice when a throw's operand contains a co_await.
attempt_error io_failure(boost::system::error_code ec, const char* step, const attempt_args& a,
                         bool got_some, bool cancelled);

// Opens (when `fresh`) and then uses `c` for one request. Runs on c.executor. Throws
// attempt_error.
asio::awaitable<attempt_result> run_attempt(connection& c, bool fresh, attempt_args args);

} // namespace ascpp::http::detail
