// Proxy settings as users write them: proxy URLs, NO_PROXY entries and the environment, checked
// without a network (the tunnel itself is tested through tinyproxy in test/workflow).
#include <boost/test/unit_test.hpp>

#include "connection.hpp"
#include "proxy.hpp"

#include <ascpp/http/client.hpp>

#include <boost/url/parse.hpp>

#include <map>

namespace http = ascpp::http;
namespace detail = ascpp::http::detail;

namespace {

detail::origin origin_for(const std::string& url) {
    http::client_options o;
    o.allow_plain_http = true;
    return detail::origin_of(boost::urls::url(*boost::urls::parse_absolute_uri(url)), o);
}

detail::env_reader fake_env(std::map<std::string, std::string> vars) {
    return [vars](const char* name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end() || it->second.empty())
            return std::nullopt;
        return it->second;
    };
}

} // namespace

BOOST_AUTO_TEST_SUITE(proxy_settings)

BOOST_AUTO_TEST_CASE(proxy_urls) {
    auto p = http::proxy_settings::from_url("http://alice:s%40cret@Proxy.Example:3128");
    BOOST_TEST(p.host == "proxy.example");
    BOOST_TEST(p.port == 3128u);
    BOOST_TEST(p.username == "alice");
    BOOST_TEST(p.password == "s@cret"); // percent-decoded
    auto bare = http::proxy_settings::from_url("10.1.2.3");
    BOOST_TEST(bare.host == "10.1.2.3");
    BOOST_TEST(bare.port == 1080u); // curl's default
    BOOST_TEST(http::proxy_settings::from_url("http://[::1]:8080").host == "::1");
    BOOST_CHECK_THROW(http::proxy_settings::from_url("https://proxy:443"), http::transport_error);
    BOOST_CHECK_THROW(http::proxy_settings::from_url("http://"), http::transport_error);
    BOOST_TEST(detail::basic_authorization(p) == "Basic YWxpY2U6c0BjcmV0");
}

BOOST_AUTO_TEST_CASE(no_proxy_entries) {
    auto list = detail::parse_no_proxy(" .Example.com, 10.0.0.7 ,[::1]:8443 internal:8080");
    BOOST_TEST(list.size() == 4u);
    BOOST_TEST(detail::bypasses_proxy(list, "example.com", false, 443));
    BOOST_TEST(detail::bypasses_proxy(list, "api.example.com", false, 443));
    BOOST_TEST(!detail::bypasses_proxy(list, "badexample.com", false, 443));
    BOOST_TEST(detail::bypasses_proxy(list, "10.0.0.7", true, 443));
    BOOST_TEST(!detail::bypasses_proxy(list, "10.0.0.70", true, 443));
    BOOST_TEST(detail::bypasses_proxy(list, "::1", true, 8443));
    BOOST_TEST(!detail::bypasses_proxy(list, "::1", true, 443));
    BOOST_TEST(detail::bypasses_proxy(list, "internal", false, 8080));
    BOOST_TEST(!detail::bypasses_proxy(list, "internal", false, 443));
    BOOST_TEST(detail::bypasses_proxy(detail::parse_no_proxy("*"), "anything", false, 1));
    BOOST_TEST(!detail::bypasses_proxy({"internal:99999"}, "internal", false, 34463));
}

BOOST_AUTO_TEST_CASE(routes_from_the_environment) {
    auto env = detail::environment_proxies::read(
        fake_env({{"https_proxy", "http://u:p@proxy.corp:3128"},
                  {"http_proxy", "proxy.corp:8080"},
                  {"HTTP_PROXY", "ignored.corp:1"}, // as curl: never the upper-case form
                  {"NO_PROXY", "upload.corp"}}));
    http::client_options options;
    const auto api = origin_for("https://api.appstoreconnect.apple.com/v1/apps");
    const auto* route = detail::route_for(api, options, env);
    BOOST_TEST_REQUIRE(route != nullptr);
    BOOST_TEST(detail::proxy_name(*route) == "proxy.corp:3128");
    BOOST_TEST(route->username == "u");
    BOOST_TEST(detail::route_for(origin_for("http://example.org/"), options, env)->port == 8080u);
    BOOST_TEST(!detail::route_for(origin_for("https://upload.corp/p"), options, env));
    // Loopback never goes through an environment proxy.
    BOOST_TEST(!detail::route_for(origin_for("https://127.0.0.1:8443/"), options, env));
    BOOST_TEST(!detail::route_for(origin_for("https://localhost/"), options, env));
    // An explicit proxy applies everywhere but its own exceptions, loopback included.
    options.proxy = http::proxy_settings::from_url("http://127.0.0.1:3128");
    BOOST_TEST(detail::route_for(origin_for("https://127.0.0.1:8443/"), options, env));
    options.proxy->no_proxy = {"127.0.0.1"};
    BOOST_TEST(!detail::route_for(origin_for("https://127.0.0.1:8443/"), options, env));

    // An explicit list is compared like NO_PROXY: without case or leading dots.
    options.proxy->no_proxy = {".Example.COM"};
    BOOST_TEST(!detail::route_for(origin_for("https://api.example.com/"), options, env));
    BOOST_TEST(detail::route_for(origin_for("https://example.org/"), options, env));

    // A value that does not parse fails only the requests that would use it, naming the
    // variable but not the value (which may hold a password).
    http::client_options from_env;
    auto bad = detail::environment_proxies::read(
        fake_env({{"HTTPS_PROXY", "socks5://user:hunter2@x:1080"}}));
    BOOST_TEST(!detail::route_for(origin_for("https://127.0.0.1:8443/"), from_env, bad));
    try {
        detail::route_for(origin_for("https://api.appstoreconnect.apple.com/"), from_env, bad);
        BOOST_FAIL("a malformed HTTPS_PROXY was accepted");
    } catch (const http::transport_error& e) {
        const std::string what = e.what();
        BOOST_TEST(what.find("HTTPS_PROXY") != std::string::npos, what);
        BOOST_TEST(what.find("hunter2") == std::string::npos, what);
    }
}

BOOST_AUTO_TEST_SUITE_END()
