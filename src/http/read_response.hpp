// Internal to ascpp::http: reading one response from a connection's stream. A template over the
// stream so the fuzz target (test/fuzz/fuzz_http_response.cpp) drives the very code that reads
// from TLS and TCP streams.
#pragma once

#include "connection.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace ascpp::http::detail {

inline constexpr std::size_t header_limit = 64 * 1024;
inline constexpr unsigned max_interim_responses = 8;

inline bool is_cancelled(asio::cancellation_state state) {
    return state.cancelled() != asio::cancellation_type::none;
}

// Reads the final response (after up to max_interim_responses 1xx) into memory, within
// a.max_response_body. Leftover bytes stay in `buffer`, which makes the connection unreusable.
template <class Stream>
asio::awaitable<attempt_result> read_response(Stream& stream, beast::flat_buffer& buffer,
                                              const attempt_args& a) {
    namespace bhttp = beast::http;
    using boost::system::error_code;
    for (unsigned interim = 0;; ++interim) {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.header_limit(header_limit);
        parser.body_limit(a.max_response_body);
        if (a.req.method == bhttp::verb::head)
            parser.skip(true);
        error_code ec;
        std::size_t n = co_await bhttp::async_read(stream, buffer, parser,
                                                   asio::redirect_error(asio::use_awaitable, ec));
        a.stats.add(&stats_recorder::bytes_received, n);
        if (ec) {
            const bool cancelled = is_cancelled(co_await asio::this_coro::cancellation_state);
            throw io_failure(ec, "read", a, interim > 0 || parser.got_some(), cancelled);
        }

        auto& msg = parser.get();
        const unsigned status = msg.result_int();
        // Beast accepts any three digits; HTTP defines 100 to 599 (RFC 9110, 15), and the layers
        // above must not meet anything else.
        if (status < 100 || status > 599)
            throw attempt_error(errc::protocol_error,
                                "read " + a.where.name + ": status code " + std::to_string(status) +
                                    " is outside 100-599",
                                false);
        // 1xx (other than 101) are interim: the real response follows on the same connection.
        if (status >= 100 && status < 200 && status != 101) {
            if (interim + 1 >= max_interim_responses)
                throw attempt_error(errc::protocol_error,
                                    "read " + a.where.name + ": too many interim responses", false);
            continue;
        }
        attempt_result result;
        result.resp.status = status;
        result.resp.body = std::move(msg.body());
        result.reusable =
            msg.keep_alive() && !parser.need_eof() && buffer.size() == 0 && status != 101;
        result.resp.headers = std::move(static_cast<bhttp::fields&>(msg));
        co_return result;
    }
}
} // namespace ascpp::http::detail
