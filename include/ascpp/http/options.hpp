// What an http::client is configured with and what it counts, without the transport itself: the
// API and upload layers take these settings, and their users should not compile Beast for them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::http {

// An HTTP proxy that TLS (and plain) connections tunnel through with CONNECT. TLS runs end to
// end with the origin inside the tunnel: the proxy sees host names and ports, never the
// requests, and certificates are verified against the origin as without a proxy. Plain http://
// origins are tunnelled too (a proxy that only allows CONNECT to 443 refuses them).
struct proxy_settings {
    std::string host;
    std::uint16_t port = 1080;
    // Basic credentials for the proxy (Proxy-Authorization); never logged or put in messages.
    std::string username;
    std::string password;
    // Destinations that bypass the proxy, as curl reads NO_PROXY: "*" (everything), a host name
    // that also covers its subdomains ("example.com", ".example.com"), an IP address, each
    // optionally with ":port".
    std::vector<std::string> no_proxy;

    // Parses "http://[user:password@]host[:port]" (the scheme may be left out). Throws
    // transport_error(invalid_url) for another scheme or a malformed value.
    static proxy_settings from_url(std::string_view url);
};

struct client_options {
    std::size_t max_connections_per_origin = 16;
    std::size_t max_connections_total = 64;
    std::size_t max_requests_per_connection = 1000;
    // An idle connection older than this is closed when the client next looks for a connection
    // or gives one back. No timer waits for it: an idle client holds no pending operation, so
    // io_context::run() returns when the last request ends. close_idle() and the destructor
    // close idle connections at once.
    std::chrono::milliseconds idle_timeout{30'000};

    // Connecting, DNS included, within connect_timeout. A name with several addresses has them
    // tried one at a time, IPv6 and IPv4 alternating from the family of the resolver's first
    // answer (RFC 8305); each but the last gets at most connect_attempt_timeout (0: no limit of
    // its own), the last what is left of connect_timeout.
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds connect_attempt_timeout{2'000};
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds request_timeout{120'000};
    std::size_t max_response_body = 16 * 1024 * 1024;
    // Size of each chunk read from a file_range body.
    std::size_t file_chunk_size = 256 * 1024;

    // An extra trusted CA (PEM), added to the system store.
    std::optional<std::filesystem::path> ca_file;
    // Plain http:// is refused except to loopback addresses unless this is set.
    bool allow_plain_http = false;
    // Turns off certificate and host-name verification. Never do this outside a throwaway test:
    // the name is long on purpose.
    bool dangerously_disable_tls_verification = false;

    // The proxy for every destination not in its no_proxy list.
    std::optional<proxy_settings> proxy;
    // When `proxy` is unset: use the proxy the environment names, as curl does: https_proxy or
    // HTTPS_PROXY for https:// origins, http_proxy for http:// ones, and no_proxy or NO_PROXY
    // for the exceptions. Loopback destinations (localhost, 127.0.0.0/8, ::1) never go through
    // an environment proxy. A value that does not parse (e.g. socks5://) fails only the
    // requests that would have used it.
    bool proxy_from_environment = true;
};

// Counters a user can read at any time (a consistent snapshot).
struct client_stats {
    std::uint64_t connections_opened = 0;
    std::uint64_t connections_reused = 0;
    std::uint64_t requests_retried = 0;
    std::uint64_t requests_sent = 0;
    std::uint64_t bytes_sent = 0;            // body and header bytes written to sockets
    std::uint64_t bytes_received = 0;        // body and header bytes read from sockets
    std::uint64_t connections_open = 0;      // now: idle, in use and being opened
    std::uint64_t connections_open_peak = 0; // the most open at once, never above the bounds
};

class client;

} // namespace ascpp::http
