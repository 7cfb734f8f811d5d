// A small in-process HTTP/1.1 server for the transport's tests and benchmark: TLS (or plain TCP)
// on a loopback address and an ephemeral port, its own io_context and thread, and replies a test
// scripts per request, including misbehaviour (malformed status line, truncated body, huge body,
// stall, closing without an answer, closing idle connections).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ascpp::test {

// What the server saw of one request. The body is hashed as it streams in; it is also kept
// when small.
struct served_request {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::uint64_t body_size = 0;
    std::string body_sha256;                 // hex
    std::string body;                        // only when body_size <= 1 MiB
    std::uint64_t connection = 0;            // the server's number for the connection (1, 2, ...)
    std::uint64_t request_on_connection = 0; // 1 for the first request of a connection

    std::string header(const std::string& name) const;
};

// How to answer one request.
struct reply {
    unsigned status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    // Written verbatim instead of a well-formed response (then the connection is closed).
    std::optional<std::string> raw;
    // Close the connection after the response without announcing it (no Connection: close).
    bool close_after = false;
    // Close the connection without answering.
    bool no_response = false;
    // Never answer; keep the connection until the client leaves or the server stops.
    bool stall = false;
    // After `body`, stream this many filler bytes as a chunked body (for "huge body").
    std::uint64_t chunked_filler = 0;
};

struct test_server_options {
    bool tls = true;
    std::string address = "127.0.0.1";
    std::string certificate_pem; // leaf (and chain); required when tls
    std::string private_key_pem;
};

class test_server {
public:
    using handler = std::function<reply(const served_request&)>;

    explicit test_server(test_server_options options, handler h = {});
    ~test_server();
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;

    std::uint16_t port() const;
    // "https://<address>:<port><path>" (or http://).
    std::string url(const std::string& path = "/") const;
    // The same origin under another host name (e.g. "localhost").
    std::string url_as(const std::string& host, const std::string& path = "/") const;

    void set_handler(handler h);

    // Closes, from the server side, every connection waiting for its next request, and returns
    // once they are closed; a connection still finishing a response closes once it has.
    void close_idle_connections();

    std::vector<served_request> requests() const;
    std::uint64_t connections_accepted() const;
    std::uint64_t connections_open() const;
    std::uint64_t max_connections_open() const;

private:
    struct state;
    std::shared_ptr<state> state_;
};

// Lower-case hex SHA-256 of data, with OpenSSL (the same on both sides of a test).
std::string sha256_hex(const void* data, std::size_t size);

} // namespace ascpp::test
