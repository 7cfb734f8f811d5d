// Proxy settings: parsing proxy URLs and NO_PROXY the way curl does, and choosing a route.
#include "proxy.hpp"

#include "connection.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace ascpp::http {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// An IP literal in its canonical text (so "::0001" matches "::1"), or empty when not one.
std::string canonical_ip(const std::string& host) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    return ec ? std::string() : address.to_string();
}

} // namespace

proxy_settings proxy_settings::from_url(std::string_view text) {
    std::string value(text);
    const bool has_scheme = value.find("://") != std::string::npos;
    if (!has_scheme)
        value = "http://" + value;
    auto parsed = boost::urls::parse_absolute_uri(value);
    if (!parsed)
        throw transport_error(errc::invalid_url, "proxy URL: not a valid URL");
    if (parsed->scheme_id() != boost::urls::scheme::http)
        throw transport_error(errc::invalid_url,
                              "proxy URL: only http:// proxies are supported (the tunnel to the "
                              "origin is TLS either way)");
    proxy_settings p;
    switch (parsed->host_type()) {
    case boost::urls::host_type::name:
        p.host = lower(parsed->host_name());
        break;
    case boost::urls::host_type::ipv4:
        p.host = parsed->host_ipv4_address().to_string();
        break;
    case boost::urls::host_type::ipv6:
        p.host = parsed->host_ipv6_address().to_string();
        break;
    default:
        break;
    }
    if (p.host.empty())
        throw transport_error(errc::invalid_url, "proxy URL: no host");
    if (parsed->has_port() && !parsed->port().empty()) {
        if (parsed->port_number() == 0)
            throw transport_error(errc::invalid_url, "proxy URL: invalid port");
        p.port = parsed->port_number();
    }
    if (parsed->has_userinfo()) {
        p.username = parsed->user();
        p.password = parsed->password();
    }
    return p;
}

namespace detail {

env_reader process_env_reader() {
    return [](const char* name) -> std::optional<std::string> {
        const char* v = std::getenv(name);
        if (!v || !*v)
            return std::nullopt;
        return std::string(v);
    };
}

environment_proxies environment_proxies::read(const env_reader& env) {
    environment_proxies out;
    // curl's order: the lower-case name first.
    if (auto v = env("no_proxy"))
        out.no_proxy = parse_no_proxy(*v);
    else if (auto w = env("NO_PROXY"))
        out.no_proxy = parse_no_proxy(*w);
    auto pick = [&](std::initializer_list<const char*> names, std::optional<proxy_settings>& to,
                    std::string& error) {
        for (const char* name : names) {
            auto v = env(name);
            if (!v)
                continue;
            try {
                to = proxy_settings::from_url(*v);
                to->no_proxy = out.no_proxy;
            } catch (const transport_error& e) {
                // The value may hold credentials: name the variable, not the value.
                error = std::string(name) + ": " + e.what();
            }
            return;
        }
    };
    pick({"https_proxy", "HTTPS_PROXY"}, out.https, out.https_error);
    // Like curl, not HTTP_PROXY: CGI programs get the request's Proxy header in that variable.
    pick({"http_proxy"}, out.http, out.http_error);
    return out;
}

std::vector<std::string> parse_no_proxy(std::string_view value) {
    std::vector<std::string> out;
    std::string entry;
    auto flush = [&] {
        while (!entry.empty() && entry.front() == '.')
            entry.erase(entry.begin());
        if (!entry.empty())
            out.push_back(lower(entry));
        entry.clear();
    };
    for (char c : value) {
        if (c == ',' || c == ' ' || c == '\t')
            flush();
        else
            entry.push_back(c);
    }
    flush();
    return out;
}

bool bypasses_proxy(const std::vector<std::string>& no_proxy, const std::string& host,
                    bool host_is_ip, std::uint16_t port) {
    const std::string ip = host_is_ip ? canonical_ip(host) : std::string();
    for (const auto& raw : no_proxy) {
        std::string name = lower(raw);
        while (!name.empty() && name.front() == '.')
            name.erase(name.begin());
        if (name.empty())
            continue;
        if (name == "*")
            return true;
        std::optional<std::uint16_t> only_port;
        auto take_port = [&](std::size_t colon) {
            const auto digits = name.substr(colon + 1);
            name.erase(colon);
            const bool number = !digits.empty() && digits.size() <= 5 &&
                                std::all_of(digits.begin(), digits.end(),
                                            [](char c) { return c >= '0' && c <= '9'; });
            if (number && std::stoul(digits) <= 65535)
                only_port = static_cast<std::uint16_t>(std::stoul(digits));
            else
                only_port = 0; // a port no destination has: the entry matches nothing
        };
        if (!name.empty() && name.front() == '[') { // "[::1]" or "[::1]:443"
            const auto close = name.find(']');
            if (close == std::string::npos)
                continue;
            if (close + 1 < name.size() && name[close + 1] == ':')
                take_port(close + 1);
            name = name.substr(1, close - 1);
        } else if (std::count(name.begin(), name.end(), ':') == 1) { // "host:port"
            take_port(name.find(':'));
        }
        if (only_port && *only_port != port)
            continue;
        if (host_is_ip) {
            if (!ip.empty() && canonical_ip(name) == ip)
                return true;
        } else if (host == name || (host.size() > name.size() && host.ends_with(name) &&
                                    host[host.size() - name.size() - 1] == '.')) {
            return true;
        }
    }
    return false;
}

const proxy_settings* route_for(const origin& o, const client_options& options,
                                const environment_proxies& env) {
    if (options.proxy)
        return bypasses_proxy(options.proxy->no_proxy, o.host, o.host_is_ip, o.port)
                   ? nullptr
                   : &*options.proxy;
    const auto& chosen = o.tls ? env.https : env.http;
    const auto& error = o.tls ? env.https_error : env.http_error;
    if ((!chosen && error.empty()) || is_loopback(o.host, o.host_is_ip) ||
        bypasses_proxy(env.no_proxy, o.host, o.host_is_ip, o.port))
        return nullptr;
    if (!chosen)
        throw transport_error(errc::invalid_url, o.name + ": the proxy in " + error);
    return &*chosen;
}

std::string proxy_name(const proxy_settings& p) {
    const bool v6 = p.host.find(':') != std::string::npos;
    return (v6 ? "[" + p.host + "]" : p.host) + ":" + std::to_string(p.port);
}

std::string basic_authorization(const proxy_settings& p) {
    const std::string plain = p.username + ":" + p.password;
    std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                  reinterpret_cast<const unsigned char*>(plain.data()),
                                  static_cast<int>(plain.size()));
    encoded.resize(static_cast<std::size_t>(n));
    return "Basic " + encoded;
}

} // namespace detail

} // namespace ascpp::http
