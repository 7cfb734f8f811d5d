// Destroying an api::client or an http::client while its work is under way: operations, pagers
// and requests hold what they use, so they finish normally after the client is gone. Meant to run
// under AddressSanitizer and ThreadSanitizer too (presets asan, tsan), where a use after free or a
// race on the destroyed client's state would be reported.
#include <boost/test/unit_test.hpp>

#include "test_server.hpp"

#include <ascpp/api/client.hpp>
#include <ascpp/http/client.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "api_lifetime_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace api = ascpp::api;
namespace auth = ascpp::auth;
namespace http = ascpp::http;
namespace asio = boost::asio;
using ascpp::test::canned_response;
using ascpp::test::recorded_request;
using ascpp::test::test_server;
using namespace std::chrono_literals;

namespace {

// Read on the server's thread: a missing fixture throws there, and the request fails.
std::string fixture(const std::string& name) {
    const char* src = std::getenv("ASCPP_SOURCE_DIR");
    if (!src)
        throw std::runtime_error("ASCPP_SOURCE_DIR is not set");
    std::ifstream in(std::filesystem::path(src) / "test" / "api" / "fixtures" / name);
    if (!in)
        throw std::runtime_error("missing fixture " + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The fixture's links name Apple's origin; made relative, the pager follows them to this server.
std::string relative_links(std::string body) {
    const std::string apple = "https://api.appstoreconnect.apple.com";
    for (auto at = body.find(apple); at != std::string::npos; at = body.find(apple, at))
        body.erase(at, apple.size());
    return body;
}

// Every answer comes late, so the requests are surely under way when the client is destroyed.
canned_response slow(const recorded_request& r) {
    canned_response resp;
    resp.delay = 300ms;
    resp.headers["X-Rate-Limit"] = "user-hour-lim:3600;user-hour-rem:3000;";
    if (r.path().find("/backgroundAssets") != std::string::npos &&
        r.path().rfind("/v1/apps/", 0) == 0)
        resp.body = relative_links(fixture("BackgroundAssetsResponse.json"));
    else
        resp.body = fixture("BackgroundAssetResponse.json");
    return resp;
}

// An io_context run by two threads, so the destruction races with work on other threads.
struct runner {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::vector<std::thread> threads;
    runner() {
        for (int i = 0; i < 2; ++i)
            threads.emplace_back([this] { io.run(); });
    }
    ~runner() {
        guard.reset();
        io.stop();
        for (auto& t : threads)
            t.join();
    }
};

void wait_for_requests(const test_server& server, std::size_t n) {
    for (int i = 0; i < 2000 && server.request_count() < n; ++i)
        std::this_thread::sleep_for(5ms);
}

template <class T>
bool ready(std::future<T>& f) {
    return f.wait_for(30s) == std::future_status::ready;
}

api::client_config config(const test_server& server) {
    api::client_config c;
    c.base_url = server.url();
    c.key_id = "TESTKEY123";
    c.issuer_id = "69a6de70-03db-47e3-e053-5b8c7c11a4d1";
    c.private_key = auth::private_key::generate();
    c.http.max_connections_per_origin = 2;
    return c;
}

} // namespace

BOOST_AUTO_TEST_CASE(api_client_destroyed_with_operations_under_way) {
    test_server server(slow);
    runner rt;
    auto c = std::make_unique<api::client>(rt.io.get_executor(), config(server));
    // Two connections for four requests: two are sent, two wait in the pool for a connection.
    std::vector<std::future<api::document<api::background_asset>>> gets;
    for (int i = 0; i < 4; ++i)
        gets.push_back(c->async_get_background_asset("a" + std::to_string(i), asio::use_future));
    auto pages =
        std::make_unique<api::pager<api::background_asset>>(c->paginate_background_assets("app1"));
    auto page = pages->async_next_page(asio::use_future);
    // Made but not started: it runs only after the client is gone.
    auto later = c->async_get_background_asset("late", asio::deferred);
    wait_for_requests(server, 2);
    BOOST_TEST_REQUIRE(server.request_count() >= 2u);

    c.reset();

    auto started = std::move(later)(asio::use_future);
    for (auto& f : gets) {
        BOOST_TEST_REQUIRE(ready(f));
        BOOST_TEST(f.get().data.id == "3c1f4f2e-7a55-4a83-9e43-0b1d51c7f9a1");
    }
    BOOST_TEST_REQUIRE(ready(page));
    auto first = page.get();
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST(!first->data.empty());
    // The pager still works after its client is gone.
    auto second = pages->async_next_page(asio::use_future);
    BOOST_TEST_REQUIRE(ready(second));
    BOOST_TEST(second.get().has_value());
    pages.reset();
    BOOST_TEST_REQUIRE(ready(started));
    BOOST_TEST(!started.get().data.id.empty());
    BOOST_TEST(server.request_count() >= 6u);
}

BOOST_AUTO_TEST_CASE(http_client_destroyed_with_requests_under_way) {
    test_server server(slow);
    runner rt;
    http::client_options o;
    o.max_connections_per_origin = 1; // the later requests wait in the pool's queue
    auto c = std::make_unique<http::client>(rt.io.get_executor(), o);
    std::vector<std::future<http::response>> sent;
    for (int i = 0; i < 3; ++i) {
        http::request req;
        req.url = boost::urls::url(server.url() + "/v1/backgroundAssets/r" + std::to_string(i));
        sent.push_back(c->async_send(std::move(req), asio::use_future));
    }
    wait_for_requests(server, 1);
    BOOST_TEST_REQUIRE(server.request_count() >= 1u);

    c.reset();

    for (auto& f : sent) {
        BOOST_TEST_REQUIRE(ready(f));
        BOOST_TEST(f.get().status == 200u);
    }
    BOOST_TEST(server.request_count() == 3u);
}
