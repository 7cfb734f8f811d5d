// Fuzz target: the proxy's answer to CONNECT, fed by a fake stream. Byte 0 sets how many bytes
// each read returns (1 to 256, so every split of the answer is tried), byte 1 the request
// (bit 0: with proxy credentials, bit 1: an IPv6 origin); the rest is what the proxy sends
// before closing. open_tunnel must send one well-formed CONNECT, then either accept a 2xx answer
// it has read exactly up to its end (the TLS handshake follows on the same stream) or throw
// attempt_error(proxy_failed or protocol_error) that never allows the safe retry.
#include "tunnel.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace detail = ascpp::http::detail;
namespace asio = boost::asio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    const std::size_t read_size = 1 + data[0];
    const bool credentials = data[1] & 1;
    const bool v6 = data[1] & 2;
    const std::string_view sent(reinterpret_cast<const char*>(data + 2), size - 2);

    ascpp::http::proxy_settings proxy;
    proxy.host = "127.0.0.1";
    proxy.port = 3128;
    if (credentials) {
        proxy.username = "alice";
        proxy.password = "s3cret";
    }
    detail::origin where;
    where.host = v6 ? "2001:db8::1" : "upload.example.com";
    where.host_is_ip = v6;
    where.port = 443;
    where.name = v6 ? "https://[2001:db8::1]:443" : "https://upload.example.com:443";
    where.proxy = &proxy;
    ascpp::http::request req;
    const ascpp::http::client_options options;
    detail::stats_recorder stats;
    const detail::attempt_args args{where,
                                    req,
                                    options,
                                    nullptr,
                                    detail::clock::now() + std::chrono::seconds(30),
                                    std::chrono::seconds(30),
                                    0,
                                    stats};

    asio::io_context ioc;
    boost::beast::test::stream stream(ioc);
    boost::beast::test::stream proxy_end(ioc); // what the client writes arrives here
    stream.connect(proxy_end);
    stream.read_size(read_size);
    stream.append(sent);
    stream.close_remote();

    bool done = false;
    std::exception_ptr error;
    const std::string proxy_name = "proxy 127.0.0.1:3128"; // outlives the coroutine
    asio::co_spawn(ioc,
                   detail::open_tunnel(stream, args, proxy_name, std::chrono::milliseconds(10'000)),
                   [&](std::exception_ptr e) {
                       done = true;
                       error = e;
                   });
    ioc.run();
    if (!done)
        std::abort(); // the coroutine neither returned nor threw: it is stuck

    const std::string authority = v6 ? "[2001:db8::1]:443" : "upload.example.com:443";
    const std::string written(proxy_end.str());
    if (!written.starts_with("CONNECT " + authority + " HTTP/1.1\r\n") ||
        written.find("\r\nHost: " + authority + "\r\n") == std::string::npos ||
        (written.find("\r\nProxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n") !=
         std::string::npos) != credentials ||
        !written.ends_with("\r\n\r\n"))
        std::abort();

    if (!error) {
        // Accepted: what was consumed is a whole 2xx status line and header, and nothing more.
        const std::string_view consumed = sent.substr(0, sent.size() - stream.str().size());
        if (consumed.size() < 12 || !consumed.starts_with("HTTP/") || consumed[9] != '2' ||
            !consumed.ends_with("\n"))
            std::abort();
        return 0;
    }
    try {
        std::rethrow_exception(error);
    } catch (const detail::attempt_error& e) {
        using ascpp::http::errc;
        if (e.code() != errc::proxy_failed && e.code() != errc::protocol_error)
            std::abort();
        if (e.before_response)
            std::abort();
        // Credentials never appear in a message.
        if (std::string_view(e.what()).find("s3cret") != std::string_view::npos)
            std::abort();
    }
    return 0;
}
