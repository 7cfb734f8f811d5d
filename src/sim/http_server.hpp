// Server plumbing shared by both origins: TLS listeners and the API origin's connections.
#pragma once

#include "service.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>

namespace ascpp::sim {

using tcp = asio::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// How long a connection may sit idle between requests, or between two reads of one body.
inline constexpr std::chrono::seconds idle_timeout{60};

enum class origin { api, upload };

// Accepts connections until the acceptor is closed; each one is served on its own strand.
asio::awaitable<void> run_listener(service& svc, tcp::acceptor& acceptor, asio::ssl::context& tls,
                                   origin which);

// Closes a connection: TLS close_notify when it can be sent quickly, then the socket.
asio::awaitable<void> close_connection(tls_stream& stream);

} // namespace ascpp::sim
