// Typed transport errors. Every failure of ascpp::http is thrown as an http::transport_error
// whose code is one of these (a cancellation: asio::error::operation_aborted, as everywhere in
// ascpp) and whose message says what failed and where (never a header value or body, which may
// hold secrets).
#pragma once

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string>

namespace ascpp::http {

enum class errc {
    resolve_failed = 1, // the host name did not resolve
    connect_failed,     // TCP connect refused or unreachable
    tls_failed,         // TLS handshake failed (untrusted CA, wrong host name, expired, ...)
    timed_out,          // connect, handshake or whole-request timeout
    cancelled,          // never a thrown code: a cancellation is asio::error::operation_aborted
    protocol_error,     // malformed status line, headers or chunking
    connection_closed,  // the peer closed before the response was complete
    body_too_large,     // the response body exceeded the configured limit
    invalid_url,        // not an absolute http(s) URL, or a scheme that is not allowed
    insecure_scheme,    // plain http:// to a non-loopback host without explicit permission
    file_error,         // a file-range body could not be read (missing, too short)
    too_many_redirects, // reserved: the client never follows redirects itself
    proxy_failed,       // the proxy refused or could not open the tunnel (407, 403, 502, ...)
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

// Whether a request that failed with `ec` is worth sending again, unchanged, a little later: the
// way there failed (a name that did not resolve, a refused or timed-out connection, a connection
// closed or a response garbled on the way, a proxy that failed, a raw socket error). Not: a
// certificate refused, a URL or scheme not allowed, a file that cannot be read, a response over
// the limit, a cancellation. The one answer for the API client's retries, the part retries and
// the state watcher's polls; each adds its own rule for requests that may have taken effect.
bool is_transient(const boost::system::error_code& ec) noexcept;

// Thrown by the transport. `code()` is an http::errc, or asio::error::operation_aborted when the
// caller cancelled; what() names the origin and the step.
class transport_error : public boost::system::system_error {
public:
    transport_error(errc e, const std::string& what_failed)
        : boost::system::system_error(code_of(e), what_failed) {}
    transport_error(boost::system::error_code ec, const std::string& what_failed)
        : boost::system::system_error(ec, what_failed) {}

private:
    static boost::system::error_code code_of(errc e) noexcept {
        if (e == errc::cancelled)
            return boost::asio::error::operation_aborted;
        return make_error_code(e);
    }
};

} // namespace ascpp::http

namespace boost::system {
template <>
struct is_error_code_enum<ascpp::http::errc> : std::true_type {};
} // namespace boost::system
