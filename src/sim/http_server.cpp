#include "http_server.hpp"

#include "api_routes.hpp"
#include "control_api.hpp"
#include "upload_host.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace ascpp::sim {

namespace {

constexpr std::size_t max_api_body = 1024 * 1024;

auto tuple_awaitable() {
    return asio::as_tuple(asio::use_awaitable);
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(tuple_awaitable());
}

enum class ending { graceful, abrupt };

asio::awaitable<ending> serve_api_connection(service& svc, tls_stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(max_api_body);
        beast::get_lowest_layer(stream).expires_after(idle_timeout);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, tuple_awaitable());
        if (ec == http::error::body_limit) {
            auto res = error_response(api_error(413, "ENTITY_INVALID.TOO_LARGE",
                                                "The request entity is too large",
                                                "Request bodies are limited to 1 MiB"),
                                      11, false);
            svc.stats.response(413);
            co_await http::async_write(stream, res, tuple_awaitable());
            co_return ending::graceful;
        }
        if (ec)
            co_return ending::graceful;
        auto req = parser.release();

        api_outcome out;
        if (is_control_target(req.target()))
            out.response = handle_control_request(svc, req);
        else
            out = handle_api_request(svc, req);

        if (out.latency.count() > 0)
            co_await sleep_for(out.latency);
        if (out.how == api_outcome::delivery::stall) {
            // Hold the connection without answering, as a hung server would.
            beast::get_lowest_layer(stream).expires_never();
            co_await sleep_for(out.stall);
            co_return ending::abrupt;
        }
        beast::get_lowest_layer(stream).expires_after(idle_timeout);
        if (out.how == api_outcome::delivery::drop_mid_body) {
            // The whole response is announced (Content-Length) but only half of it arrives.
            http::response_serializer<http::string_body> sr(out.response);
            auto [hec, hn] = co_await http::async_write_header(stream, sr, tuple_awaitable());
            if (!hec) {
                auto& body = out.response.body();
                co_await asio::async_write(stream, asio::buffer(body.data(), body.size() / 2),
                                           tuple_awaitable());
            }
            co_return ending::abrupt;
        }
        bool keep = out.response.keep_alive();
        auto [wec, wn] = co_await http::async_write(stream, out.response, tuple_awaitable());
        if (wec || !keep)
            co_return wec ? ending::abrupt : ending::graceful;
    }
}

asio::awaitable<void> session(service& svc, tcp::socket socket, asio::ssl::context& tls,
                              origin which) {
    tls_stream stream(std::move(socket), tls);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(15));
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, tuple_awaitable());
    if (hec) {
        beast::get_lowest_layer(stream).close();
        co_return;
    }
    ending how = ending::graceful;
    if (which == origin::api) {
        how = co_await serve_api_connection(svc, stream);
    } else {
        co_await serve_upload_connection(svc, stream);
        how = ending::abrupt; // the upload host returns only when the connection is over
    }
    if (how == ending::graceful)
        co_await close_connection(stream);
    else
        beast::get_lowest_layer(stream).close();
}

} // namespace

void service::schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
    if (stopping)
        return;
    asio::co_spawn(
        io,
        [this, delay, fn = std::move(fn)]() mutable -> asio::awaitable<void> {
            asio::steady_timer t(co_await asio::this_coro::executor, delay);
            auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            if (!ec)
                run_or_hold(std::move(fn));
        },
        asio::detached);
}

void service::run_or_hold(std::function<void()> fn) {
    {
        std::lock_guard lock(hold_mutex_);
        if (paused_) {
            held_.push_back(std::move(fn));
            return;
        }
    }
    fn();
}

void service::set_paused(bool paused) {
    std::vector<std::function<void()>> release;
    {
        std::lock_guard lock(hold_mutex_);
        paused_ = paused;
        if (!paused)
            release.swap(held_);
    }
    for (auto& fn : release)
        asio::post(io, std::move(fn));
}

asio::awaitable<void> close_connection(tls_stream& stream) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(tuple_awaitable());
    beast::get_lowest_layer(stream).close();
}

asio::awaitable<void> run_listener(service& svc, tcp::acceptor& acceptor, asio::ssl::context& tls,
                                   origin which) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(
            asio::make_strand(acceptor.get_executor()), tuple_awaitable());
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open() || svc.stopping)
                co_return;
            // Out of descriptors and the like: keep serving the connections we have.
            co_await sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        auto ex = socket.get_executor();
        asio::co_spawn(ex, session(svc, std::move(socket), tls, which), asio::detached);
    }
}

} // namespace ascpp::sim
