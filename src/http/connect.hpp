// Internal to ascpp::http: opening a connection. Resolving the peer (the origin, or the proxy),
// trying its addresses in turn, the proxy's tunnel and the TLS handshake.
#pragma once

#include "connection.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace ascpp::http::detail {

// The order in which a name's addresses are tried (RFC 8305, section 4): the resolver's order
// within each family, starting with the family of the first answer and then alternating, so a
// broken IPv6 (or IPv4) path costs at most one attempt before the other family gets its turn.
std::vector<asio::ip::tcp::endpoint>
interleave_families(const std::vector<asio::ip::tcp::endpoint>& resolved);

// How long connecting may take: the whole (`deadline`, `limit` being its length for messages)
// and each address but the last (`per_attempt`; the last address has what is left).
struct connect_budget {
    clock::time_point deadline;
    std::chrono::milliseconds limit;
    std::chrono::milliseconds per_attempt;
};

// Connects `tcp` to the first of `endpoints` (already in order) that accepts, one at a time.
// `name` says what is connected to in messages ("https://host:443", "proxy host:3128"). Throws
// attempt_error: connect_failed or timed_out, naming how many addresses were tried and the last
// failure, or cancelled.
asio::awaitable<asio::ip::tcp::endpoint>
connect_any(beast::tcp_stream& tcp, const std::vector<asio::ip::tcp::endpoint>& endpoints,
            const std::string& name, connect_budget budget);

// Resolves, connects (through the proxy's tunnel when the origin has one) and, for https,
// handshakes. Runs on c.executor. Throws attempt_error.
asio::awaitable<void> open_connection(connection& c, const attempt_args& a);

} // namespace ascpp::http::detail
