// Opening a connection (resolve, TCP connect, TLS handshake) and one request/response exchange
// on it. Timeouts are the tcp_stream's deadline; cancellation is the coroutine's slot, forwarded
// to whichever operation is pending. Either way the connection is not reused afterwards.
#include "connection.hpp"
#include "body_reader.hpp"
#include "proxy.hpp"
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

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <type_traits>
#include <vector>

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

// Resolves a host name within `deadline`. The resolver cannot be cancelled mid-lookup, so the
// coroutine waits on a timer that the lookup's completion wakes; both live on the connection's
// strand.
struct endpoint_name {
    const std::string& host;
    std::uint16_t port;
    std::string name; // for messages: the origin, or "proxy host:port"
};

asio::awaitable<std::vector<tcp::endpoint>>
resolve(const endpoint_name& where, clock::time_point deadline, std::chrono::milliseconds limit) {
    error_code literal_ec;
    const auto literal = asio::ip::make_address(where.host, literal_ec);
    if (!literal_ec)
        co_return std::vector<tcp::endpoint>{tcp::endpoint(literal, where.port)};

    struct lookup {
        explicit lookup(const asio::any_io_executor& ex) : resolver(ex), wake(ex) {}
        tcp::resolver resolver;
        asio::steady_timer wake;
        bool done = false;
        error_code ec;
        std::vector<tcp::endpoint> endpoints;
    };
    auto ex = co_await asio::this_coro::executor;
    auto state = std::make_shared<lookup>(ex);
    state->wake.expires_at(deadline);
    state->resolver.async_resolve(
        where.host, std::to_string(where.port),
        [state](error_code ec, const tcp::resolver::results_type& results) {
            state->done = true;
            state->ec = ec;
            for (const auto& entry : results)
                state->endpoints.push_back(entry.endpoint());
            state->wake.expires_at(clock::time_point{});
        });
    error_code wait_ec;
    co_await state->wake.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
    if (!state->done) {
        state->resolver.cancel();
        if (is_cancelled(co_await asio::this_coro::cancellation_state))
            throw attempt_error(errc::cancelled,
                                "resolve " + where.name + ": cancelled by the caller", false);
        throw attempt_error(
            errc::timed_out,
            "resolve " + where.name + ": no answer within " + milliseconds_text(limit), false);
    }
    if (state->ec || state->endpoints.empty())
        throw attempt_error(errc::resolve_failed,
                            "resolve " + where.name + ": " +
                                (state->ec ? state->ec.message() : std::string("no address")),
                            false);
    co_return std::move(state->endpoints);
}

// Asks the proxy for a tunnel to the origin (CONNECT host:port). Its answer is read header by
// header and nothing past it, so the TLS handshake that follows starts on a clean stream.
asio::awaitable<void> open_tunnel(beast::tcp_stream& tcp, const attempt_args& a,
                                  const std::string& proxy) {
    const auto& where = a.where;
    const bool v6 = where.host.find(':') != std::string::npos;
    const std::string authority =
        (v6 ? "[" + where.host + "]" : where.host) + ":" + std::to_string(where.port);
    bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, authority, 11};
    req.set(bhttp::field::host, authority);
    if (!where.proxy->username.empty() || !where.proxy->password.empty())
        req.set(bhttp::field::proxy_authorization, basic_authorization(*where.proxy));

    const bool bounded = clock::now() + a.options.handshake_timeout < a.deadline;
    const auto limit = bounded ? a.options.handshake_timeout : a.request_timeout;
    tcp.expires_at(bounded ? clock::now() + a.options.handshake_timeout : a.deadline);
    error_code ec;
    co_await bhttp::async_write(tcp, req, asio::redirect_error(asio::use_awaitable, ec));
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true); // a 2xx answer to CONNECT has no body; other answers end the connection
    if (!ec)
        co_await bhttp::async_read_header(tcp, buffer, parser,
                                          asio::redirect_error(asio::use_awaitable, ec));
    const std::string step = proxy + ", tunnel to " + where.name;
    if (ec) {
        if (ec == beast::error::timeout)
            throw attempt_error(errc::timed_out,
                                step + ": no answer within " + milliseconds_text(limit), false);
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

asio::awaitable<void> open(connection& c, const attempt_args& a) {
    const auto& where = a.where;
    const auto now = clock::now();
    const bool connect_bounded = now + a.options.connect_timeout < a.deadline;
    const auto connect_deadline = connect_bounded ? now + a.options.connect_timeout : a.deadline;
    const auto connect_limit = connect_bounded ? a.options.connect_timeout : a.request_timeout;

    // Through a proxy, the TCP connection goes to the proxy and a CONNECT tunnel to the origin.
    const endpoint_name peer = where.proxy ? endpoint_name{where.proxy->host, where.proxy->port,
                                                           "proxy " + proxy_name(*where.proxy)}
                                           : endpoint_name{where.host, where.port, where.name};
    auto endpoints = co_await resolve(peer, connect_deadline, connect_limit);

    auto& tcp = c.tcp();
    tcp.expires_at(connect_deadline);
    error_code ec;
    co_await tcp.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        if (ec == beast::error::timeout)
            throw attempt_error(errc::timed_out,
                                "connect " + peer.name + ": not connected within " +
                                    milliseconds_text(connect_limit),
                                false);
        if (is_cancelled(co_await asio::this_coro::cancellation_state))
            throw attempt_error(errc::cancelled,
                                "connect " + peer.name + ": cancelled by the caller", false);
        throw attempt_error(errc::connect_failed, "connect " + peer.name + ": " + ec.message(),
                            false);
    }
    tcp.socket().set_option(tcp::no_delay(true), ec);
    if (where.proxy)
        co_await open_tunnel(tcp, a, peer.name);

    if (c.tls) {
        SSL* ssl = c.tls->native_handle();
        // SNI carries host names only; RFC 6066 forbids IP literals there.
        if (!where.host_is_ip && SSL_set_tlsext_host_name(ssl, where.host.c_str()) != 1)
            throw attempt_error(errc::tls_failed, "handshake " + where.name + ": cannot set SNI",
                                false);
        if (a.options.dangerously_disable_tls_verification) {
            c.tls->set_verify_mode(ssl::verify_none);
        } else {
            c.tls->set_verify_mode(ssl::verify_peer);
            // OpenSSL's own RFC 6125 check, so a mismatch is reported as such in the verify result.
            X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            int ok = where.host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, where.host.c_str())
                                      : X509_VERIFY_PARAM_set1_host(param, where.host.c_str(), 0);
            if (ok != 1)
                throw attempt_error(errc::tls_failed,
                                    "handshake " + where.name + ": cannot set the expected host",
                                    false);
        }
        const bool handshake_bounded = clock::now() + a.options.handshake_timeout < a.deadline;
        tcp.expires_at(handshake_bounded ? clock::now() + a.options.handshake_timeout : a.deadline);
        co_await c.tls->async_handshake(ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == beast::error::timeout)
                throw attempt_error(errc::timed_out,
                                    "handshake " + where.name + ": not complete within " +
                                        milliseconds_text(handshake_bounded
                                                              ? a.options.handshake_timeout
                                                              : a.request_timeout),
                                    false);
            if (is_cancelled(co_await asio::this_coro::cancellation_state))
                throw attempt_error(errc::cancelled,
                                    "handshake " + where.name + ": cancelled by the caller", false);
            long verdict = SSL_get_verify_result(ssl);
            std::string reason = verdict != X509_V_OK ? std::string("certificate rejected: ") +
                                                            X509_verify_cert_error_string(verdict)
                                                      : ec.message();
            throw attempt_error(errc::tls_failed, "handshake " + where.name + ": " + reason, false);
        }
    }
    a.stats.add(&client_stats::connections_opened);
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

// Sends the file range in chunks of at most file_chunk_size, read on the blocking pool ahead of
// the send (body_reader.hpp): the range is never in memory. Over TLS, each chunk's records go out
// in one socket write (tls_bulk_write.hpp).
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
        a.stats.add(&client_stats::bytes_sent, chunk.size());
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
        a.stats.add(&client_stats::bytes_sent, n);
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
    a.stats.add(&client_stats::bytes_sent, n);
    if (ec) {
        const bool cancelled = is_cancelled(co_await asio::this_coro::cancellation_state);
        throw io_failure(ec, "write", a, false, cancelled);
    }
}

template <class Stream>
asio::awaitable<attempt_result> exchange(Stream& stream, connection& c, const attempt_args& a) {
    c.tcp().expires_at(a.deadline);
    co_await write_request(stream, a);
    a.stats.add(&client_stats::requests_sent);
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
            co_await open(c, a);
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
