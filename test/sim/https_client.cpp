#include "https_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

namespace ascpp::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string http_result::header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : std::string(it->value());
}

boost::json::value http_result::json() const {
    return boost::json::parse(body);
}

namespace {

asio::awaitable<http_result> exchange(asio::ssl::context& tls, const http_call& call) {
    http_result out;
    auto fail = [&](std::string step, boost::system::error_code ec) {
        out.status = 0;
        out.error = step + ": " + ec.message();
        return out;
    };
    // Brackets in filter[...] and fields[...] are not valid URI characters: encode them as a
    // careful client does (the host part of an IPv6 URL keeps its brackets).
    std::string text = call.url;
    auto path_start = text.find('/', text.find("://") + 3);
    for (auto i = path_start; i != std::string::npos && i < text.size(); ++i) {
        if (text[i] == '[' || text[i] == ']') {
            text.replace(i, 1, text[i] == '[' ? "%5B" : "%5D");
            i += 2;
        }
    }
    auto url = boost::urls::parse_uri(text);
    if (!url) {
        out.error = "bad url";
        co_return out;
    }
    std::string host = url->host_address();
    std::string port = url->port().empty() ? "443" : std::string(url->port());
    auto ex = co_await asio::this_coro::executor;
    auto tuple = asio::as_tuple(asio::use_awaitable);

    asio::ip::tcp::resolver resolver(ex);
    auto [rec, endpoints] = co_await resolver.async_resolve(host, port, tuple);
    if (rec)
        co_return fail("resolve", rec);
    beast::ssl_stream<beast::tcp_stream> stream(ex, tls);
    stream.set_verify_mode(asio::ssl::verify_peer);
    stream.set_verify_callback(asio::ssl::host_name_verification(host));
    auto& tcp = beast::get_lowest_layer(stream);
    tcp.expires_after(call.timeout);
    auto [cec, ep] = co_await tcp.async_connect(endpoints, tuple);
    if (cec)
        co_return fail("connect", cec);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, tuple);
    if (hec)
        co_return fail("handshake", hec);

    std::string target = std::string(url->encoded_target());
    if (target.empty())
        target = "/";
    http::request<http::string_body> req{call.method, target, 11};
    req.set(http::field::host, url->encoded_host_and_port());
    for (auto& [k, v] : call.headers)
        req.set(k, v);
    req.body() = call.body;
    if (call.chunked) {
        req.chunked(true);
    } else if (call.content_length) {
        req.content_length(*call.content_length);
    } else if (!call.body.empty() || call.method == http::verb::put ||
               call.method == http::verb::post || call.method == http::verb::patch) {
        req.prepare_payload();
    }
    req.keep_alive(false);
    http::request_serializer<http::string_body> sr(req);
    auto [wec, wn] = co_await http::async_write(stream, sr, tuple);
    if (wec)
        co_return fail("write", wec);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, tuple);
    if (ec)
        co_return fail("read", ec);
    auto res = parser.release();
    out.status = res.result_int();
    out.headers = res.base();
    out.body = std::move(res.body());
    tcp.expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(tuple);
    co_return out;
}

} // namespace

std::vector<http_result> https_client::send_all(const std::vector<http_call>& calls) const {
    asio::io_context io;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.load_verify_file(ca_file_.string());
    std::vector<http_result> results(calls.size());
    for (std::size_t i = 0; i < calls.size(); ++i)
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                try {
                    results[i] = co_await exchange(tls, calls[i]);
                } catch (const std::exception& e) {
                    results[i].error = e.what();
                }
            },
            asio::detached);
    io.run();
    return results;
}

http_result https_client::send(const http_call& call) const {
    return send_all({call}).front();
}

} // namespace ascpp::test
