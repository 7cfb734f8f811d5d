// Fuzz target: the HTTP response path, fed by a fake stream. Byte 0 sets how many bytes each read
// returns (1 to 256, so every split of the message is tried), byte 1 the method (bit 0: HEAD)
// and a small body limit (bit 1); the rest is what the server sends before closing.
// read_response must either return a final response within the limits or throw attempt_error
// with a transport errc; once the server has sent a byte, the error must never allow the safe
// retry (a request whose response had begun is not replayed).
#include "read_response.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string_view>

namespace detail = ascpp::http::detail;
namespace asio = boost::asio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    const std::size_t read_size = 1 + data[0];
    const bool head = data[1] & 1;
    const std::size_t body_limit = (data[1] & 2) ? 16 : 64 * 1024;
    const std::string_view sent(reinterpret_cast<const char*>(data + 2), size - 2);

    detail::origin where;
    where.host = "127.0.0.1";
    where.host_is_ip = true;
    where.port = 443;
    where.name = "https://127.0.0.1:443";
    ascpp::http::request req;
    req.method = head ? boost::beast::http::verb::head : boost::beast::http::verb::get;
    const ascpp::http::client_options options;
    detail::stats_recorder stats;
    const detail::attempt_args args{where,
                                    req,
                                    options,
                                    nullptr,
                                    detail::clock::now() + std::chrono::seconds(30),
                                    std::chrono::seconds(30),
                                    body_limit,
                                    stats};

    asio::io_context ioc;
    boost::beast::test::stream stream(ioc);
    stream.read_size(read_size);
    stream.append(sent);
    stream.close_remote();
    boost::beast::flat_buffer buffer;

    std::optional<detail::attempt_result> result;
    std::exception_ptr error;
    asio::co_spawn(ioc, detail::read_response(stream, buffer, args),
                   [&](std::exception_ptr e, detail::attempt_result r) {
                       if (e)
                           error = e;
                       else
                           result = std::move(r);
                   });
    ioc.run();

    if (result) {
        const auto& r = *result;
        if (r.resp.status < 100 || r.resp.status > 599 ||
            (r.resp.status < 200 && r.resp.status != 101) || r.resp.body.size() > body_limit ||
            (head && !r.resp.body.empty()) || (r.reusable && buffer.size() != 0))
            std::abort();
        return 0;
    }
    if (!error)
        std::abort(); // the coroutine neither returned nor threw: it is stuck
    try {
        std::rethrow_exception(error);
    } catch (const detail::attempt_error& e) {
        using ascpp::http::errc;
        const auto code = e.code();
        if (code != errc::protocol_error && code != errc::body_too_large &&
            code != errc::connection_closed)
            std::abort();
        if (e.before_response && !sent.empty())
            std::abort();
    }
    return 0;
}
