// Internal to ascpp::http: asking an HTTP proxy for a tunnel (CONNECT) and judging its answer. A
// template over the stream so the fuzz target (test/fuzz/fuzz_proxy_connect.cpp) drives the very
// code that talks to a proxy over TCP.
#pragma once

#include "connection.hpp"
#include "proxy.hpp"
#include "read_response.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <string>

namespace ascpp::http::detail {

// Asks the proxy a.where.proxy for a tunnel to the origin (CONNECT host:port) on `stream`, whose
// deadline the caller has set (`limit` is that deadline's length, for messages). The answer is
// read header by header and nothing past it, so the TLS handshake that follows starts on a clean
// stream. Throws attempt_error: timed_out, cancelled, proxy_failed (the proxy refused or the
// connection failed) or protocol_error (bytes after the answer).
template <class Stream>
asio::awaitable<void> open_tunnel(Stream& stream, const attempt_args& a, const std::string& proxy,
                                  std::chrono::milliseconds limit) {
    namespace bhttp = beast::http;
    using boost::system::error_code;
    const auto& where = a.where;
    const bool v6 = where.host.find(':') != std::string::npos;
    const std::string authority =
        (v6 ? "[" + where.host + "]" : where.host) + ":" + std::to_string(where.port);
    bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, authority, 11};
    req.set(bhttp::field::host, authority);
    if (!where.proxy->username.empty() || !where.proxy->password.empty())
        req.set(bhttp::field::proxy_authorization, basic_authorization(*where.proxy));

    error_code ec;
    co_await bhttp::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true); // a 2xx answer to CONNECT has no body; other answers end the connection
    if (!ec)
        co_await bhttp::async_read_header(stream, buffer, parser,
                                          asio::redirect_error(asio::use_awaitable, ec));
    const std::string step = proxy + ", tunnel to " + where.name;
    if (ec) {
        if (ec == beast::error::timeout)
            throw attempt_error(
                errc::timed_out,
                step + ": no answer within " + std::to_string(limit.count()) + " ms", false);
        if (is_cancelled(co_await asio::this_coro::cancellation_state))
            throw attempt_error(errc::cancelled, step + ": cancelled by the caller", false);
        throw attempt_error(errc::proxy_failed, step + ": " + ec.message(), false);
    }
    const unsigned status = parser.get().result_int();
    if (status / 100 != 2)
        throw attempt_error(errc::proxy_failed,
                            step + ": refused with HTTP " + std::to_string(status) +
                                // tinyproxy, for one, answers bad credentials with 401
                                (status == 407 || status == 401
                                     ? " (proxy authentication required or refused)"
                                     : ""),
                            false);
    if (buffer.size() != 0)
        throw attempt_error(errc::protocol_error, step + ": data after the proxy's answer", false);
}

} // namespace ascpp::http::detail
