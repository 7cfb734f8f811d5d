// One request/response exchange on a connection (connect.cpp opens it). Timeouts are the
// tcp_stream's deadline; cancellation is the coroutine's slot, forwarded to whichever operation
// is pending. Either way the connection is not reused afterwards.
#include "connection.hpp"
#include "body_reader.hpp"
#include "connect.hpp"
#include "read_response.hpp"
#include "tls_bulk_write.hpp"

#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <type_traits>

namespace ascpp::http::detail {

namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

bool is_loopback(const std::string& host, bool host_is_ip) {
    if (!host_is_ip)
        return host == "localhost" || host.ends_with(".localhost");
    error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec)
        return false;
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
    return address.is_loopback();
}

namespace {

constexpr std::size_t default_chunk_size = 256 * 1024;

bool valid_host_name(std::string_view name) {
    if (name.empty() || name.size() > 253)
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    });
}

const boost::system::error_category& beast_http_category() {
    static const auto& category = bhttp::make_error_code(bhttp::error::end_of_stream).category();
    return category;
}

std::string milliseconds_text(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

std::string target_of(const boost::urls::url& url) {
    std::string target(url.encoded_target());
    if (target.empty() || target.front() != '/')
        target.insert(0, "/");
    return target;
}

// The caller's headers, minus the framing ones the transport owns.
bhttp::fields header_fields(const attempt_args& a) {
    bhttp::fields fields = a.req.headers;
    fields.erase(bhttp::field::content_length);
    fields.erase(bhttp::field::transfer_encoding);
    if (fields.find(bhttp::field::host) == fields.end())
        fields.set(bhttp::field::host, a.where.host_header);
    return fields;
}

bool method_expects_body(bhttp::verb method) {
    return method == bhttp::verb::post || method == bhttp::verb::put ||
           method == bhttp::verb::patch;
}

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// Sends the file range in chunks of at most file_chunk_size, each read without an io thread
// waiting on a disk (body_reader.hpp): the range is never in memory. Over TLS, each chunk's
// records go out in one socket write (tls_bulk_write.hpp).
template <class Stream>
asio::awaitable<void> write_file_body(Stream& stream, const attempt_args& a) {
    const std::size_t chunk_size =
        a.options.file_chunk_size ? a.options.file_chunk_size : default_chunk_size;
    body_reader reader(*a.file, chunk_size, co_await asio::this_coro::executor);
    std::optional<tls_bulk_writer> records;
    if constexpr (std::is_same_v<Stream, tls_stream>) {
        try {
            records.emplace(stream.native_handle());
        } catch (const transport_error& e) {
            throw attempt_error(errc::tls_failed, "write " + a.where.name + ": " + e.what(), false);
        }
    }
    error_code ec;
    for (;;) {
        const auto chunk = co_await reader.next();
        if (chunk.empty())
            break;
        if (a.req.on_chunk)
            a.req.on_chunk(chunk);
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            try {
                records->encrypt(chunk);
            } catch (const transport_error& e) {
                throw attempt_error(errc::tls_failed, "write " + a.where.name + ": " + e.what(),
                                    false);
            }
            co_await asio::async_write(
                beast::get_lowest_layer(stream),
                asio::buffer(records->records().data(), records->records().size()),
                asio::redirect_error(asio::use_awaitable, ec));
            records->clear();
        } else {
            co_await asio::async_write(stream, asio::buffer(chunk.data(), chunk.size()),
                                       asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) {
            const bool cancelled = is_cancelled(co_await asio::this_coro::cancellation_state);
            throw io_failure(ec, "write", a, false, cancelled);
        }
        a.stats.add(&stats_recorder::bytes_sent, chunk.size());
    }
}

template <class Stream>
asio::awaitable<void> write_request(Stream& stream, const attempt_args& a) {
    const auto& req = a.req;
    const std::string target = target_of(req.url);
    error_code ec;
    std::size_t n = 0;

    if (a.file) {
        bhttp::request<bhttp::empty_body> msg(req.method, target, 11,
                                              bhttp::empty_body::value_type{}, header_fields(a));
        msg.content_length(a.file->length);
        bhttp::request_serializer<bhttp::empty_body> serializer(msg);
        n = co_await bhttp::async_write_header(stream, serializer,
                                               asio::redirect_error(asio::use_awaitable, ec));
        a.stats.add(&stats_recorder::bytes_sent, n);
        if (ec) {
            const bool cancelled = is_cancelled(co_await asio::this_coro::cancellation_state);
            throw io_failure(ec, "write", a, false, cancelled);
        }

        co_await write_file_body(stream, a);
        co_return;
    }

    const std::string* text = std::get_if<std::string>(&req.body);
    // Constructed with the fields, not assigned them: Beast keeps method and target inside the
    // fields object, and an assignment would overwrite them.
    bhttp::span_body<const char>::value_type body;
    if (text)
        body = {text->data(), text->size()};
    bhttp::request<bhttp::span_body<const char>> msg(req.method, target, 11, body,
                                                     header_fields(a));
    if ((text && !text->empty()) || method_expects_body(req.method))
        msg.content_length(text ? text->size() : 0);
    if (text && !text->empty() && req.on_chunk)
        req.on_chunk(std::span<const unsigned char>(
            reinterpret_cast<const unsigned char*>(text->data()), text->size()));
    n = co_await bhttp::async_write(stream, msg, asio::redirect_error(asio::use_awaitable, ec));
    a.stats.add(&stats_recorder::bytes_sent, n);
    if (ec) {
        const bool cancelled = is_cancelled(co_await asio::this_coro::cancellation_state);
        throw io_failure(ec, "write", a, false, cancelled);
    }
}

template <class Stream>
asio::awaitable<attempt_result> exchange(Stream& stream, connection& c, const attempt_args& a) {
    c.tcp().expires_at(a.deadline);
    co_await write_request(stream, a);
    a.stats.add(&stats_recorder::requests_sent);
    auto result = co_await read_response(stream, c.buffer, a);
    c.tcp().expires_never();
    co_return result;
}

} // namespace

attempt_error io_failure(error_code ec, const char* step, const attempt_args& a, bool got_some,
                         bool cancelled) {
    std::string where = std::string(step) + " " + a.where.name;
    if (ec == beast::error::timeout)
        return {errc::timed_out,
                where + ": no complete response within the request timeout of " +
                    milliseconds_text(a.request_timeout),
                false};
    if (cancelled)
        return {errc::cancelled, where + ": cancelled by the caller", false};
    if (ec == bhttp::error::body_limit)
        return {errc::body_too_large,
                where + ": the limit is " + std::to_string(a.max_response_body) + " bytes", false};
    if (ec == bhttp::error::header_limit)
        return {errc::protocol_error,
                where + ": response header larger than " + std::to_string(header_limit) + " bytes",
                false};
    if (ec.category() == beast_http_category() && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message)
        return {errc::protocol_error, where + ": " + ec.message(), false};
    if (ec.category() == asio::error::get_ssl_category())
        return {errc::tls_failed, where + ": " + ec.message(), false};
    return {errc::connection_closed, where + ": " + ec.message(), !got_some};
}

namespace {

// Scheme, host and port, named and checked; the route and the plain-http policy are the caller's.
origin parse_origin(const boost::urls::url_view& url) {
    origin o;
    switch (url.scheme_id()) {
    case boost::urls::scheme::https:
        o.tls = true;
        break;
    case boost::urls::scheme::http:
        o.tls = false;
        break;
    default:
        throw transport_error(errc::invalid_url,
                              "request URL: the scheme must be http or https (absolute URL)");
    }
    switch (url.host_type()) {
    case boost::urls::host_type::name: {
        o.host = url.host_name();
        std::transform(o.host.begin(), o.host.end(), o.host.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (!valid_host_name(o.host))
            throw transport_error(errc::invalid_url, "request URL: not a valid host name");
        break;
    }
    case boost::urls::host_type::ipv4:
        o.host = url.host_ipv4_address().to_string();
        o.host_is_ip = true;
        break;
    case boost::urls::host_type::ipv6:
        o.host = url.host_ipv6_address().to_string();
        o.host_is_ip = true;
        break;
    default:
        throw transport_error(errc::invalid_url, "request URL: no usable host");
    }
    const std::uint16_t default_port = o.tls ? 443 : 80;
    o.port = default_port;
    if (url.has_port() && !url.port().empty()) {
        if (url.port_number() == 0)
            throw transport_error(errc::invalid_url, "request URL: invalid port");
        o.port = url.port_number();
    }
    const std::string bracketed =
        url.host_type() == boost::urls::host_type::ipv6 ? "[" + o.host + "]" : o.host;
    o.name = std::string(o.tls ? "https://" : "http://") + bracketed + ":" + std::to_string(o.port);
    o.host_header = o.port == default_port ? bracketed : bracketed + ":" + std::to_string(o.port);
    o.key = o.name;
    return o;
}

} // namespace

origin origin_of(const boost::urls::url& url, const client_options& options) {
    origin o = parse_origin(url);
    if (!o.tls && !options.allow_plain_http && !is_loopback(o.host, o.host_is_ip))
        throw transport_error(errc::insecure_scheme,
                              o.name + ": plain http:// is only allowed to loopback addresses "
                                       "(client_options::allow_plain_http)");
    return o;
}

connection::connection(strand ex, const origin& o, asio::ssl::context* tls_context) : executor(ex) {
    if (o.tls) {
        tls.emplace(asio::any_io_executor(ex), *tls_context);
        // asio asks OpenSSL to free a connection's record buffers whenever they empty, which for
        // a body means a free and a malloc per 16 KiB record; a pooled connection keeps its two
        // (about 34 KiB) instead.
        SSL_clear_mode(tls->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    } else
        plain.emplace(asio::any_io_executor(ex));
}

connection::~connection() {
    close();
}

beast::tcp_stream& connection::tcp() {
    return tls ? beast::get_lowest_layer(*tls) : *plain;
}

bool connection::looks_reusable() {
    auto& socket = tcp().socket();
    if (!socket.is_open() || buffer.size() != 0)
        return false;
    char byte;
    ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void connection::close() noexcept {
    auto& socket = tcp().socket();
    if (!socket.is_open())
        return;
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

asio::awaitable<attempt_result> run_attempt(connection& c, bool fresh, attempt_args a) {
    co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
    try {
        if (fresh)
            co_await open_connection(c, a);
        if (c.tls)
            co_return co_await exchange(*c.tls, c, a);
        co_return co_await exchange(*c.plain, c, a);
    } catch (const attempt_error&) {
        throw;
    } catch (const boost::system::system_error& e) {
        // Asio throws operation_aborted when an operation would start after a cancellation.
        if (e.code() == asio::error::operation_aborted)
            throw attempt_error(errc::cancelled, "request to " + a.where.name + ": cancelled",
                                false);
        throw attempt_error(errc::connection_closed,
                            "request to " + a.where.name + ": " + e.code().message(), false);
    }
}

} // namespace ascpp::http::detail

namespace ascpp::http {

std::string origin_name(const boost::urls::url_view& url) {
    return detail::parse_origin(url).name;
}

} // namespace ascpp::http
