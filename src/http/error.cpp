#include <ascpp/http/error.hpp>

#include "../detail/error_category.hpp"

#include <boost/asio/error.hpp>

namespace ascpp::http {

namespace {

std::string describe(errc e) {
    switch (e) {
    case errc::resolve_failed:
        return "host name did not resolve";
    case errc::connect_failed:
        return "TCP connect failed";
    case errc::tls_failed:
        return "TLS handshake failed";
    case errc::timed_out:
        return "timed out";
    case errc::cancelled:
        return "cancelled";
    case errc::protocol_error:
        return "malformed HTTP response";
    case errc::connection_closed:
        return "connection closed before the response was complete";
    case errc::body_too_large:
        return "response body exceeds the limit";
    case errc::invalid_url:
        return "invalid request URL";
    case errc::insecure_scheme:
        return "plain http:// refused for a non-loopback host";
    case errc::file_error:
        return "file-range body could not be read";
    case errc::too_many_redirects:
        return "too many redirects";
    case errc::proxy_failed:
        return "the proxy did not open a tunnel";
    }
    return "unknown transport error";
}

} // namespace

const boost::system::error_category& category() noexcept {
    static const ascpp::detail::enum_category<errc> instance("ascpp.http", describe);
    return instance;
}

bool is_transient(const boost::system::error_code& ec) noexcept {
    if (ec == boost::asio::error::operation_aborted)
        return false;
    if (ec.category() != category())
        return true; // a raw socket error: reset, broken pipe...
    switch (static_cast<errc>(ec.value())) {
    case errc::resolve_failed:
    case errc::connect_failed:
    case errc::timed_out:
    case errc::protocol_error:
    case errc::connection_closed:
    case errc::proxy_failed:
        return true;
    case errc::tls_failed:
    case errc::cancelled:
    case errc::body_too_large:
    case errc::invalid_url:
    case errc::insecure_scheme:
    case errc::file_error:
    case errc::too_many_redirects:
        return false;
    }
    return false;
}

} // namespace ascpp::http
