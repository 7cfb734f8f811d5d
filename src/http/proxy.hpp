// Internal to ascpp::http: which proxy a connection to an origin goes through, and what the
// environment says about proxies.
#pragma once

#include <ascpp/http/client.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ascpp::http::detail {

struct origin;

// Reads one environment variable (empty: unset).
using env_reader = std::function<std::optional<std::string>(const char* name)>;
env_reader process_env_reader();

// The proxies the environment names, read once when a client is made. A value that does not
// parse is kept as an error, raised only by a request that would have used that proxy (so a
// socks5:// proxy meant for other programs does not stop requests to loopback or NO_PROXY hosts).
struct environment_proxies {
    std::optional<proxy_settings> https; // https_proxy / HTTPS_PROXY
    std::optional<proxy_settings> http;  // http_proxy (not HTTP_PROXY: see proxy.cpp)
    std::string https_error, http_error; // "HTTPS_PROXY: ..." when the value did not parse
    std::vector<std::string> no_proxy;   // no_proxy / NO_PROXY
    static environment_proxies read(const env_reader& env);
};

// NO_PROXY's comma- or space-separated entries.
std::vector<std::string> parse_no_proxy(std::string_view value);

// Whether `no_proxy` exempts host:port from the proxy (entries compared without case and
// without leading dots).
bool bypasses_proxy(const std::vector<std::string>& no_proxy, const std::string& host,
                    bool host_is_ip, std::uint16_t port);

// The proxy a connection to `o` goes through, or null for a direct one. Throws
// transport_error(invalid_url) when it is an environment proxy whose value did not parse.
const proxy_settings* route_for(const origin& o, const client_options& options,
                                const environment_proxies& env);

// "host:port" of a proxy (IPv6 in brackets), for messages and pool keys.
std::string proxy_name(const proxy_settings& p);

// The value of a Proxy-Authorization header for basic credentials.
std::string basic_authorization(const proxy_settings& p);

} // namespace ascpp::http::detail
