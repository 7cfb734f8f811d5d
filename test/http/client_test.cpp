// The transport against an in-process HTTPS server on loopback, with a CA and certificates
// generated at test time.
#include <boost/test/unit_test.hpp>

#include "test_server.hpp"

#include <ascpp/http/client.hpp>
#include <ascpp/sim/certificate_authority.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <thread>

// The shared test PCH includes unit_test.hpp before this file could define BOOST_TEST_MODULE, so
// the header generates no main: define it here (dynamic Boost.Test).
static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "http_client_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace asio = boost::asio;
namespace http = ascpp::http;
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;
using ascpp::sim::certificate_authority;
using ascpp::test::reply;
using ascpp::test::served_request;
using ascpp::test::test_server;
using ascpp::test::test_server_options;
using namespace std::chrono_literals;

namespace {

// Generous bound on how long any single step may take before the test gives up (a hang guard,
// not a performance assertion).
constexpr auto hang_guard = 120s;

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() /
               ("ascpp-http-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// One CA for the whole run, with a certificate for the loopback names, written to files.
struct tls_material {
    temp_dir dir;
    certificate_authority ca = certificate_authority::generate("ascpp http test CA");
    certificate_authority::issued leaf = ca.issue({"localhost"}, {"127.0.0.1", "::1"});
    fs::path ca_file = dir.path / "ca.pem";

    tls_material() { certificate_authority::write_pem(ca_file, ca.certificate_pem()); }

    static tls_material& get() {
        static tls_material instance;
        return instance;
    }
};

test_server_options tls_server_options(const certificate_authority::issued& cert) {
    test_server_options o;
    o.certificate_pem = cert.certificate_pem;
    o.private_key_pem = cert.private_key_pem;
    return o;
}

test_server_options tls_server_options() {
    return tls_server_options(tls_material::get().leaf);
}

http::client_options trusting_options() {
    http::client_options o;
    o.ca_file = tls_material::get().ca_file;
    o.connect_timeout = 30s;
    o.handshake_timeout = 30s;
    o.request_timeout = 60s;
    return o;
}

// An io_context run by `threads` threads for the duration of a test.
struct io_threads {
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;

    explicit io_threads(unsigned n = 1) {
        for (unsigned i = 0; i < n; ++i)
            threads.emplace_back([this] { ioc.run(); });
    }
    ~io_threads() {
        guard.reset();
        ioc.stop();
        for (auto& t : threads)
            t.join();
    }
};

template <class T>
T wait_for(std::future<T>& f, std::chrono::seconds guard = hang_guard) {
    if (f.wait_for(guard) != std::future_status::ready)
        throw std::runtime_error("test step hung");
    return f.get();
}

http::response send(io_threads& io, http::client& c, http::request req) {
    auto f = c.async_send(std::move(req), asio::use_future);
    return wait_for(f);
}

http::request get(const std::string& url) {
    http::request r;
    r.url = boost::urls::url(url);
    return r;
}

// The error code of a request that must fail.
http::errc failure_of(io_threads& io, http::client& c, http::request req,
                      std::string* what = nullptr) {
    try {
        send(io, c, std::move(req));
    } catch (const http::transport_error& e) {
        BOOST_TEST_MESSAGE("expected failure: " << e.what());
        if (what)
            *what = e.what();
        BOOST_REQUIRE(e.code().category() == http::category());
        return static_cast<http::errc>(e.code().value());
    }
    BOOST_FAIL("the request succeeded");
    return {};
}

// Polls `condition` until it holds (bounded): for states another thread reaches eventually.
template <class F>
bool eventually(F condition) {
    const auto end = std::chrono::steady_clock::now() + hang_guard;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > end)
            return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

} // namespace

namespace ascpp::http {
std::ostream& operator<<(std::ostream& os, errc e) {
    return os << make_error_code(e).message() << " (" << static_cast<int>(e) << ")";
}
} // namespace ascpp::http

BOOST_AUTO_TEST_SUITE(pooling)

BOOST_AUTO_TEST_CASE(sequential_requests_reuse_one_connection) {
    test_server server(tls_server_options(), [](const served_request& r) {
        return reply{.status = 200,
                     .body = "you asked for " + r.target,
                     .headers = {{"X-Request-ID", "req-1"}}};
    });
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());

    constexpr int n = 20;
    for (int i = 0; i < n; ++i) {
        auto r = send(io, client, get(server.url("/item/" + std::to_string(i) + "?q=1")));
        BOOST_TEST(r.status == 200u);
        BOOST_TEST(r.body == "you asked for /item/" + std::to_string(i) + "?q=1");
        BOOST_TEST(r.header("x-request-id") == "req-1");
    }
    auto stats = client.stats();
    BOOST_TEST(server.connections_accepted() == 1u);
    BOOST_TEST(stats.connections_opened == 1u);
    BOOST_TEST(stats.connections_reused == std::uint64_t(n - 1));
    BOOST_TEST(stats.requests_sent == std::uint64_t(n));
    BOOST_TEST(stats.requests_retried == 0u);
    BOOST_TEST(stats.bytes_sent > 0u);
    BOOST_TEST(stats.bytes_received > 0u);
    auto seen = server.requests();
    BOOST_REQUIRE(seen.size() == std::size_t(n));
    BOOST_TEST(seen[0].header("Host") == "127.0.0.1:" + std::to_string(server.port()));
    BOOST_TEST(seen[n - 1].request_on_connection == std::uint64_t(n));
}

BOOST_AUTO_TEST_CASE(concurrent_requests_on_many_threads_stay_within_the_pool_bounds) {
    test_server server(tls_server_options(), [](const served_request& r) {
        return reply{.status = 200, .body = r.target};
    });
    io_threads io(4);
    auto options = trusting_options();
    options.max_connections_per_origin = 6;
    options.max_connections_total = 8;
    http::client client(io.ioc.get_executor(), options);

    // Two origins (127.0.0.1 and localhost) on one server, so the overall bound is what binds.
    constexpr int n = 200;
    std::vector<std::future<http::response>> results;
    for (int i = 0; i < n; ++i) {
        auto url = (i % 2 ? server.url_as("localhost", "/") : server.url("/")) + std::to_string(i);
        results.push_back(client.async_send(get(url), asio::use_future));
    }
    for (int i = 0; i < n; ++i) {
        auto r = wait_for(results[i]);
        BOOST_TEST(r.status == 200u);
        BOOST_TEST(r.body == "/" + std::to_string(i));
    }
    auto stats = client.stats();
    BOOST_TEST(server.requests().size() == std::size_t(n));
    // The server may see one more for a moment: a connection closed to make room for another
    // origin can reach it after the new one. The client's own count is exact.
    BOOST_TEST(stats.connections_open_peak <= 8u);
    BOOST_TEST(stats.connections_open_peak >= 2u);
    BOOST_TEST(server.max_connections_open() <= 9u);
    // Busy origins do not close each other's connections over and over.
    BOOST_TEST(stats.connections_opened <= 16u);
    BOOST_TEST(stats.connections_opened + stats.connections_reused == std::uint64_t(n));
}

BOOST_AUTO_TEST_CASE(a_connection_carries_at_most_max_requests_per_connection) {
    test_server server(tls_server_options());
    io_threads io;
    auto options = trusting_options();
    options.max_requests_per_connection = 3;
    http::client client(io.ioc.get_executor(), options);
    for (int i = 0; i < 7; ++i)
        BOOST_TEST(send(io, client, get(server.url("/"))).status == 200u);
    BOOST_TEST(client.stats().connections_opened == 3u);
    BOOST_TEST(server.connections_accepted() == 3u);
}

BOOST_AUTO_TEST_CASE(idle_connections_are_evicted_after_the_idle_timeout) {
    test_server server(tls_server_options());
    io_threads io;
    auto options = trusting_options();
    options.idle_timeout = 100ms;
    http::client client(io.ioc.get_executor(), options);
    BOOST_TEST(send(io, client, get(server.url("/"))).status == 200u);
    std::this_thread::sleep_for(150ms);
    // The next request finds the idle connection expired: it is closed, and a new one opened.
    BOOST_TEST(send(io, client, get(server.url("/"))).status == 200u);
    BOOST_TEST(client.stats().connections_opened == 2u);
    BOOST_TEST(client.stats().connections_reused == 0u);
    BOOST_TEST(eventually([&] { return server.connections_open() == 1; }));
}

BOOST_AUTO_TEST_CASE(run_returns_when_the_last_request_ends) {
    // No work guard and the default 30 s idle timeout: the pooled connection must not keep run()
    // busy after the response arrived.
    test_server server(tls_server_options());
    asio::io_context ioc;
    http::client client(ioc.get_executor(), trusting_options());
    auto req = get(server.url("/"));
    std::optional<unsigned> done;
    auto on_done = [&](std::exception_ptr e, http::response r) {
        BOOST_CHECK(!e);
        done = r.status;
    };
    client.async_send(std::move(req), on_done);
    std::atomic<bool> guard_stopped{false};
    std::thread guard([&] {
        // A hang guard: stops a run() that would never return, and says so.
        for (int i = 0; i < 1200 && !ioc.stopped(); ++i)
            std::this_thread::sleep_for(100ms);
        if (!ioc.stopped()) {
            guard_stopped = true;
            ioc.stop();
        }
    });
    ioc.run();
    guard.join();
    BOOST_REQUIRE(done.has_value());
    BOOST_TEST(!guard_stopped);                        // run() returned because no work was left
    BOOST_TEST(client.stats().connections_open == 1u); // still pooled, for the next request
}

BOOST_AUTO_TEST_CASE(close_idle_closes_pooled_connections) {
    test_server server(tls_server_options());
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    BOOST_TEST(send(io, client, get(server.url("/"))).status == 200u);
    BOOST_TEST(server.connections_open() == 1u);
    client.close_idle();
    BOOST_TEST(eventually([&] { return server.connections_open() == 0; }));
}

BOOST_AUTO_TEST_CASE(destroying_the_client_closes_its_idle_connections) {
    test_server server(tls_server_options());
    io_threads io;
    {
        http::client client(io.ioc.get_executor(), trusting_options());
        BOOST_TEST(send(io, client, get(server.url("/"))).status == 200u);
    }
    BOOST_TEST(eventually([&] { return server.connections_open() == 0; }));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stale_connections_and_retry)

BOOST_AUTO_TEST_CASE(server_closing_idle_connections_does_not_fail_the_next_get) {
    test_server server(tls_server_options());
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    BOOST_TEST(send(io, client, get(server.url("/a"))).status == 200u);
    server.close_idle_connections();
    BOOST_TEST(eventually([&] { return server.connections_open() == 0; }));
    BOOST_TEST(send(io, client, get(server.url("/b"))).status == 200u);
    BOOST_TEST(client.stats().connections_opened == 2u);
    BOOST_TEST(server.requests().size() == 2u);
}

// The server accepts the second request of a connection and closes without a byte of answer:
// what a client sees when a server closes an idle connection just as a request goes out.
reply drop_second_request(const served_request& r) {
    reply rep{200, "body of " + r.method};
    rep.no_response = r.request_on_connection == 2;
    return rep;
}

BOOST_AUTO_TEST_CASE(idempotent_request_is_retried_once_on_a_fresh_connection) {
    test_server server(tls_server_options(), drop_second_request);
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    BOOST_TEST(send(io, client, get(server.url("/first"))).status == 200u);

    int restarts = 0;
    std::string observed;
    http::request put = get(server.url("/second"));
    put.method = bhttp::verb::put;
    put.body = std::string("payload");
    put.on_chunk = [&](std::span<const unsigned char> chunk) {
        observed.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    };
    put.on_body_restart = [&] {
        ++restarts;
        observed.clear();
    };
    auto r = send(io, client, std::move(put));
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body == "body of PUT");
    BOOST_TEST(restarts == 1);
    BOOST_TEST(observed == "payload");

    auto seen = server.requests();
    BOOST_REQUIRE(seen.size() == 3u);
    BOOST_TEST(seen[1].body == "payload");
    BOOST_TEST(seen[2].body == "payload");
    BOOST_TEST(seen[2].connection != seen[1].connection);
    BOOST_TEST(client.stats().requests_retried == 1u);
    BOOST_TEST(client.stats().connections_opened == 2u);
}

BOOST_AUTO_TEST_CASE(post_whose_connection_dies_is_reported_not_replayed) {
    test_server server(tls_server_options(), drop_second_request);
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    BOOST_TEST(send(io, client, get(server.url("/first"))).status == 200u);

    http::request post = get(server.url("/create"));
    post.method = bhttp::verb::post;
    post.body = std::string(R"({"data":1})");
    BOOST_TEST(failure_of(io, client, std::move(post)) == http::errc::connection_closed);

    auto seen = server.requests();
    BOOST_REQUIRE(seen.size() == 2u);
    BOOST_TEST(seen[1].method == "POST");
    BOOST_TEST(client.stats().requests_retried == 0u);
}

BOOST_AUTO_TEST_CASE(explicitly_non_idempotent_put_is_not_replayed) {
    test_server server(tls_server_options(), drop_second_request);
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    BOOST_TEST(send(io, client, get(server.url("/first"))).status == 200u);
    http::request put = get(server.url("/x"));
    put.method = bhttp::verb::put;
    put.idempotent = false;
    BOOST_TEST(failure_of(io, client, std::move(put)) == http::errc::connection_closed);
    BOOST_TEST(server.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_response_cut_short_is_not_retried) {
    test_server server(tls_server_options(), [](const served_request&) {
        reply rep;
        rep.raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-twenty-bytes...";
        return rep;
    });
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    BOOST_TEST(failure_of(io, client, get(server.url("/"))) == http::errc::connection_closed);
    BOOST_TEST(server.requests().size() == 1u);
    BOOST_TEST(client.stats().requests_retried == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(wrong_host_name_is_refused) {
    auto& m = tls_material::get();
    test_server server(tls_server_options(m.ca.issue({"api.example.test"}, {})));
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    std::string what;
    BOOST_TEST(failure_of(io, client, get(server.url_as("localhost", "/")), &what) ==
               http::errc::tls_failed);
    BOOST_TEST(what.find("hostname mismatch") != std::string::npos, what);
    BOOST_TEST(failure_of(io, client, get(server.url("/")), &what) == http::errc::tls_failed);
    BOOST_TEST(what.find("IP address mismatch") != std::string::npos, what);
    BOOST_TEST(server.requests().empty());
}

BOOST_AUTO_TEST_CASE(untrusted_ca_is_refused) {
    test_server server(tls_server_options());
    io_threads io;
    auto options = trusting_options();
    options.ca_file.reset(); // the system store only
    http::client client(io.ioc.get_executor(), options);
    std::string what;
    BOOST_TEST(failure_of(io, client, get(server.url("/")), &what) == http::errc::tls_failed);
    BOOST_TEST(what.find("certificate rejected") != std::string::npos, what);
    BOOST_TEST(server.requests().empty());
}

BOOST_AUTO_TEST_CASE(expired_certificate_is_refused) {
    auto& m = tls_material::get();
    auto now = std::chrono::system_clock::now();
    test_server server(
        tls_server_options(m.ca.issue({"localhost"}, {"127.0.0.1"}, now - 72h, now - 24h)));
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    std::string what;
    BOOST_TEST(failure_of(io, client, get(server.url("/")), &what) == http::errc::tls_failed);
    BOOST_TEST(what.find("certificate has expired") != std::string::npos, what);
}

BOOST_AUTO_TEST_CASE(verification_can_be_turned_off_explicitly) {
    auto& m = tls_material::get();
    test_server server(tls_server_options(m.ca.issue({"api.example.test"}, {})));
    io_threads io;
    http::client_options options; // no CA, wrong name
    options.dangerously_disable_tls_verification = true;
    http::client client(io.ioc.get_executor(), options);
    BOOST_TEST(send(io, client, get(server.url("/"))).status == 200u);
}

BOOST_AUTO_TEST_CASE(tls_to_a_plain_server_fails_in_the_handshake) {
    test_server_options plain;
    plain.tls = false;
    test_server server(plain);
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    auto url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
    BOOST_TEST(failure_of(io, client, get(url)) == http::errc::tls_failed);
}

BOOST_AUTO_TEST_CASE(a_missing_ca_file_is_reported_at_construction) {
    io_threads io;
    auto options = trusting_options();
    options.ca_file = tls_material::get().dir.path / "missing.pem";
    BOOST_CHECK_THROW(http::client(io.ioc.get_executor(), options), http::transport_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(schemes_and_addresses)

BOOST_AUTO_TEST_CASE(plain_http_to_loopback_works) {
    test_server_options plain;
    plain.tls = false;
    test_server server(plain);
    io_threads io;
    http::client client(io.ioc.get_executor(), {});
    BOOST_TEST(send(io, client, get(server.url("/"))).body == "ok");
    BOOST_TEST(send(io, client, get(server.url_as("localhost", "/"))).body == "ok");
    BOOST_TEST(client.stats().connections_opened == 2u); // two origins
}

BOOST_AUTO_TEST_CASE(plain_http_to_a_non_loopback_host_is_refused) {
    io_threads io;
    http::client client(io.ioc.get_executor(), {});
    std::string what;
    BOOST_TEST(failure_of(io, client, get("http://example.com/path?token=secret"), &what) ==
               http::errc::insecure_scheme);
    BOOST_TEST(what.find("secret") == std::string::npos);
    BOOST_TEST(failure_of(io, client, get("http://10.1.2.3/")) == http::errc::insecure_scheme);
    BOOST_TEST(failure_of(io, client, get("http://[2001:db8::1]/")) == http::errc::insecure_scheme);
    BOOST_TEST(client.stats().connections_opened == 0u);
}

BOOST_AUTO_TEST_CASE(urls_that_are_not_absolute_http_are_refused) {
    io_threads io;
    http::client client(io.ioc.get_executor(), {});
    BOOST_TEST(failure_of(io, client, get("ftp://example.com/")) == http::errc::invalid_url);
    BOOST_TEST(failure_of(io, client, get("/relative/path")) == http::errc::invalid_url);
    BOOST_TEST(failure_of(io, client, get("https:///no-host")) == http::errc::invalid_url);
}

BOOST_AUTO_TEST_CASE(an_origin_on_the_ipv6_loopback_is_reached) {
    auto options = tls_server_options();
    options.address = "::1";
    test_server server(options, [](const served_request&) {
        reply r;
        r.body = "over IPv6";
        return r;
    });
    BOOST_TEST(server.url().starts_with("https://[::1]:"), server.url());
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    auto r = send(io, client, get(server.url("/v6")));
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body == "over IPv6");
    BOOST_TEST(server.requests().at(0).header("Host") == "[::1]:" + std::to_string(server.port()));
}

BOOST_AUTO_TEST_CASE(unresolvable_and_refusing_hosts_are_told_apart) {
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    BOOST_TEST(failure_of(io, client, get("https://no-such-host.invalid/")) ==
               http::errc::resolve_failed);

    // A port that was just free: nothing listens there.
    asio::io_context probe;
    asio::ip::tcp::acceptor acceptor(probe, {asio::ip::make_address("127.0.0.1"), 0});
    auto port = acceptor.local_endpoint().port();
    acceptor.close();
    std::string what;
    BOOST_TEST(failure_of(io, client, get("https://127.0.0.1:" + std::to_string(port) + "/"),
                          &what) == http::errc::connect_failed);
    BOOST_TEST(what.find("connect https://127.0.0.1:" + std::to_string(port)) != std::string::npos,
               what);
}

// One answer to "worth sending again?" for every layer that retries.
BOOST_AUTO_TEST_CASE(transient_failures_are_the_ways_there_not_the_request) {
    for (auto e :
         {http::errc::resolve_failed, http::errc::connect_failed, http::errc::timed_out,
          http::errc::protocol_error, http::errc::connection_closed, http::errc::proxy_failed})
        BOOST_TEST(http::is_transient(http::make_error_code(e)), static_cast<int>(e));
    for (auto e : {http::errc::tls_failed, http::errc::cancelled, http::errc::body_too_large,
                   http::errc::invalid_url, http::errc::insecure_scheme, http::errc::file_error,
                   http::errc::too_many_redirects})
        BOOST_TEST(!http::is_transient(http::make_error_code(e)), static_cast<int>(e));
    BOOST_TEST(http::is_transient(asio::error::connection_reset));
    BOOST_TEST(http::is_transient(asio::error::broken_pipe));
    BOOST_TEST(!http::is_transient(asio::error::operation_aborted));
}

// One name per origin wherever origins are compared: the pools, the limiter's hosts and the
// token's confinement must agree on case and default ports.
BOOST_AUTO_TEST_CASE(an_origin_has_one_name) {
    auto name = [](const char* text) {
        return http::origin_name(*boost::urls::parse_absolute_uri(text));
    };
    BOOST_TEST(name("HTTPS://Upload.Example.COM/part?x=1") == "https://upload.example.com:443");
    BOOST_TEST(name("https://upload.example.com:443/other") == "https://upload.example.com:443");
    BOOST_TEST(name("https://upload.example.com:8443") == "https://upload.example.com:8443");
    BOOST_TEST(name("http://127.0.0.1/x") == "http://127.0.0.1:80");
    BOOST_TEST(name("https://[::1]:9/x") == "https://[::1]:9");
    BOOST_CHECK_EXCEPTION(
        name("ftp://example.com/"), http::transport_error,
        [](const http::transport_error& e) { return e.code() == http::errc::invalid_url; });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bodies)

BOOST_AUTO_TEST_CASE(a_one_gib_sparse_file_range_arrives_byte_exact_in_bounded_chunks) {
    temp_dir dir;
    const auto file = dir.path / "sparse.bin";
    constexpr std::uint64_t gib = 1ull << 30;
    constexpr std::uint64_t offset = 12345;
    {
        // Mostly holes, with random data at the start, the middle and across the range's end,
        // so a digest would notice a misplaced or missing chunk.
        int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
        BOOST_REQUIRE(fd >= 0);
        std::mt19937_64 rng(42);
        std::vector<unsigned char> block(1 << 20);
        for (auto& b : block)
            b = static_cast<unsigned char>(rng());
        for (std::uint64_t at : {std::uint64_t(0), gib / 2 + 777, offset + gib - 4096})
            BOOST_REQUIRE(::pwrite(fd, block.data(), block.size(), static_cast<off_t>(at)) ==
                          static_cast<ssize_t>(block.size()));
        BOOST_REQUIRE(::ftruncate(fd, static_cast<off_t>(offset + gib + (1 << 20))) == 0);
        ::close(fd);
    }
    // The digest the range must have, read independently of the client.
    std::string expected;
    {
        int fd = ::open(file.c_str(), O_RDONLY);
        std::vector<unsigned char> buffer(8 << 20);
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
        for (std::uint64_t done = 0; done < gib;) {
            auto want = std::min<std::uint64_t>(buffer.size(), gib - done);
            auto got = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset + done));
            BOOST_REQUIRE(got > 0);
            EVP_DigestUpdate(ctx, buffer.data(), static_cast<std::size_t>(got));
            done += static_cast<std::uint64_t>(got);
        }
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned size = 0;
        EVP_DigestFinal_ex(ctx, digest, &size);
        EVP_MD_CTX_free(ctx);
        ::close(fd);
        static const char* hex = "0123456789abcdef";
        for (unsigned i = 0; i < size; ++i) {
            expected += hex[digest[i] >> 4];
            expected += hex[digest[i] & 0xf];
        }
    }

    test_server server(tls_server_options());
    io_threads io;
    auto options = trusting_options();
    options.file_chunk_size = 1 << 20;
    options.request_timeout = 600s;
    http::client client(io.ioc.get_executor(), options);

    struct rusage before {};
    ::getrusage(RUSAGE_SELF, &before);
    std::uint64_t observed_bytes = 0, chunks = 0;
    std::size_t largest_chunk = 0;
    http::request put = get(server.url("/upload/part-1"));
    put.method = bhttp::verb::put;
    put.body = http::file_range{file, offset, gib};
    put.on_chunk = [&](std::span<const unsigned char> chunk) {
        observed_bytes += chunk.size();
        largest_chunk = std::max(largest_chunk, chunk.size());
        ++chunks;
    };
    // A long transfer (minutes under ThreadSanitizer on a busy machine): the client's own request
    // timeout bounds it, and the guard only catches a client that ignores that timeout.
    auto f = client.async_send(std::move(put), asio::use_future);
    auto r = wait_for(f, std::chrono::duration_cast<std::chrono::seconds>(options.request_timeout) +
                             60s);
    struct rusage after {};
    ::getrusage(RUSAGE_SELF, &after);

    BOOST_TEST(r.status == 200u);
    auto seen = server.requests();
    BOOST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].body_size == gib);
    BOOST_TEST(seen[0].header("Content-Length") == std::to_string(gib));
    BOOST_TEST(seen[0].body_sha256 == expected);
    BOOST_TEST(observed_bytes == gib);
    BOOST_TEST(chunks == gib / options.file_chunk_size);
    BOOST_TEST(largest_chunk <= options.file_chunk_size);
    BOOST_TEST(client.stats().bytes_sent > gib);
    // The peak resident size grew by far less than the range: it was never held in memory.
    const long grown_kib = after.ru_maxrss - before.ru_maxrss;
    BOOST_TEST_MESSAGE("peak RSS growth during the upload: " << grown_kib << " KiB");
    long allowed_kib = 256 * 1024;
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer keeps freed memory in its quarantine (256 MiB by default) before reuse.
    allowed_kib += 256 * 1024;
#endif
    BOOST_TEST(grown_kib < allowed_kib);
}

// A file body's records bypass the TLS stream's own buffers (tls_bulk_write.hpp); the stream
// must find its state as it left it, so string bodies, file bodies and reads keep alternating
// on one connection.
BOOST_AUTO_TEST_CASE(file_and_string_bodies_alternate_on_one_tls_connection) {
    temp_dir dir;
    const auto file = dir.path / "body.bin";
    std::string content(700 * 1024 + 3, '\0');
    std::mt19937 rng(7);
    for (auto& ch : content)
        ch = static_cast<char>(rng());
    {
        std::ofstream out(file, std::ios::binary);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    test_server server(tls_server_options());
    io_threads io;
    auto options = trusting_options();
    options.file_chunk_size = 64 * 1024; // eleven chunks, the last one short
    http::client client(io.ioc.get_executor(), options);
    for (int round = 0; round < 3; ++round) {
        http::request put = get(server.url("/upload/file-" + std::to_string(round)));
        put.method = bhttp::verb::put;
        put.body = http::file_range{file, static_cast<std::uint64_t>(round), content.size() - 5};
        BOOST_TEST(client.async_send(std::move(put), asio::use_future).get().status == 200u);
        http::request post = get(server.url("/text-" + std::to_string(round)));
        post.method = bhttp::verb::post;
        post.body = std::string("after the file body ") + std::to_string(round);
        BOOST_TEST(client.async_send(std::move(post), asio::use_future).get().status == 200u);
    }
    auto seen = server.requests();
    BOOST_REQUIRE(seen.size() == 6u);
    for (int round = 0; round < 3; ++round) {
        const auto& file_request = seen[static_cast<std::size_t>(2 * round)];
        BOOST_TEST(file_request.body ==
                   content.substr(static_cast<std::size_t>(round), content.size() - 5));
        BOOST_TEST(seen[static_cast<std::size_t>(2 * round + 1)].body ==
                   "after the file body " + std::to_string(round));
    }
    BOOST_TEST(client.stats().connections_opened == 1u);
    BOOST_TEST(client.stats().connections_reused == 5u);
}

// Bytes the program already holds (file_range::held) are sent instead of the file's: here every
// other chunk is offered, with bytes that differ from the file's so the test sees which were sent.
BOOST_AUTO_TEST_CASE(held_bytes_are_sent_instead_of_reading_the_file) {
    temp_dir dir;
    const auto file = dir.path / "held.bin";
    const std::size_t chunk = 64 * 1024;
    std::string content(5 * chunk + 100, 'f');
    {
        std::ofstream out(file, std::ios::binary);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    test_server server(tls_server_options());
    io_threads io;
    auto options = trusting_options();
    options.file_chunk_size = chunk;
    http::client client(io.ioc.get_executor(), options);
    std::vector<std::pair<std::uint64_t, std::size_t>> asked;
    auto held = std::make_shared<std::string>(chunk, 'h');
    http::request put = get(server.url("/upload/held"));
    put.method = bhttp::verb::put;
    put.body = http::file_range{
        file, 7, content.size() - 7, [&asked, held](std::uint64_t at, std::size_t max) {
            asked.emplace_back(at, max);
            http::held_bytes h;
            if (asked.size() % 2 == 1) {
                h.hold = held;
                h.bytes = {reinterpret_cast<const unsigned char*>(held->data()),
                           std::min(max, held->size() / 2)};
            }
            return h;
        }};
    BOOST_TEST(client.async_send(std::move(put), asio::use_future).get().status == 200u);
    // Held chunks of half a chunk, then a chunk read from the file, in turn.
    std::string expected;
    std::uint64_t at = 7;
    for (std::size_t i = 0; at < content.size(); ++i) {
        const std::size_t max = std::min<std::size_t>(chunk, content.size() - at);
        BOOST_REQUIRE(i < asked.size());
        BOOST_TEST(asked[i].first == at);
        BOOST_TEST(asked[i].second == max);
        const std::size_t n = i % 2 == 0 ? std::min(max, chunk / 2) : max;
        expected += std::string(n, i % 2 == 0 ? 'h' : 'f');
        at += n;
    }
    auto seen = server.requests();
    BOOST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].body == expected);
}

// Chunks not in the page cache are read on the blocking pool (body_reader.hpp): the bytes that
// arrive are the same, whichever thread read them.
BOOST_AUTO_TEST_CASE(a_file_evicted_from_the_page_cache_arrives_byte_exact) {
    temp_dir dir;
    const auto file = dir.path / "cold.bin";
    std::string content(3 * 1024 * 1024 + 17, '\0');
    std::mt19937 rng(11);
    for (auto& ch : content)
        ch = static_cast<char>(rng());
    {
        int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
        BOOST_REQUIRE(fd >= 0);
        BOOST_REQUIRE(::write(fd, content.data(), content.size()) ==
                      static_cast<ssize_t>(content.size()));
        BOOST_REQUIRE(::fsync(fd) == 0);
        // Clean pages are dropped, so the sender's reads find them missing.
        BOOST_REQUIRE(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0);
        ::close(fd);
    }
    test_server server(tls_server_options());
    io_threads io;
    auto options = trusting_options();
    options.file_chunk_size = 256 * 1024;
    http::client client(io.ioc.get_executor(), options);
    http::request put = get(server.url("/upload/cold"));
    put.method = bhttp::verb::put;
    put.body = http::file_range{file, 1, content.size() - 1};
    BOOST_TEST(client.async_send(std::move(put), asio::use_future).get().status == 200u);
    auto seen = server.requests();
    BOOST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].body_size == content.size() - 1);
    BOOST_TEST(seen[0].body_sha256 ==
               ascpp::test::sha256_hex(content.data() + 1, content.size() - 1));
}

BOOST_AUTO_TEST_CASE(file_range_problems_are_file_errors_before_any_connection) {
    temp_dir dir;
    const auto file = dir.path / "small.bin";
    std::ofstream(file) << "0123456789";
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    http::request put = get("https://127.0.0.1:9/upload");
    put.method = bhttp::verb::put;
    put.body = http::file_range{dir.path / "missing.bin", 0, 10};
    BOOST_TEST(failure_of(io, client, put) == http::errc::file_error);
    put.body = http::file_range{file, 5, 6};
    std::string what;
    BOOST_TEST(failure_of(io, client, put, &what) == http::errc::file_error);
    BOOST_TEST(what.find("small.bin") != std::string::npos, what);
    BOOST_TEST(client.stats().connections_opened == 0u);
}

BOOST_AUTO_TEST_CASE(string_bodies_and_headers_go_out_as_given) {
    test_server server(tls_server_options(), [](const served_request& r) {
        return reply{.status = 201, .body = r.header("Content-Type") + "|" + r.body};
    });
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    http::request post = get(server.url("/v1/things"));
    post.method = bhttp::verb::post;
    post.headers.set(bhttp::field::content_type, "application/json");
    post.headers.set(bhttp::field::content_length, "999"); // the transport owns framing
    post.body = std::string(R"({"a":1})");
    auto r = send(io, client, std::move(post));
    BOOST_TEST(r.status == 201u);
    BOOST_TEST(r.ok());
    BOOST_TEST(r.body == R"(application/json|{"a":1})");
    auto seen = server.requests();
    BOOST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].header("Content-Length") == "7");

    // An empty POST still says Content-Length: 0.
    http::request empty = get(server.url("/v1/empty"));
    empty.method = bhttp::verb::post;
    BOOST_TEST(send(io, client, std::move(empty)).status == 201u);
    BOOST_TEST(server.requests().at(1).header("Content-Length") == "0");
}

BOOST_AUTO_TEST_CASE(head_responses_have_no_body_and_keep_the_connection) {
    test_server server(tls_server_options(), [](const served_request&) {
        return reply{.status = 200, .body = std::string(5000, 'z')};
    });
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());
    http::request head = get(server.url("/"));
    head.method = bhttp::verb::head;
    auto r = send(io, client, head);
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body.empty());
    BOOST_TEST(r.header("content-length") == "5000");
    BOOST_TEST(send(io, client, get(server.url("/"))).body.size() == 5000u);
    BOOST_TEST(client.stats().connections_opened == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(misbehaving_servers)

http::client_options short_timeouts() {
    auto o = trusting_options();
    o.request_timeout = 500ms;
    return o;
}

BOOST_AUTO_TEST_CASE(malformed_status_line_is_a_protocol_error) {
    test_server server(tls_server_options(), [](const served_request&) {
        reply rep;
        rep.raw = "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n";
        return rep;
    });
    io_threads io;
    http::client client(io.ioc.get_executor(), short_timeouts());
    BOOST_TEST(failure_of(io, client, get(server.url("/"))) == http::errc::protocol_error);
    server.set_handler([](const served_request&) {
        reply rep;
        rep.raw = "garbage that is not HTTP at all\r\n\r\n";
        return rep;
    });
    BOOST_TEST(failure_of(io, client, get(server.url("/"))) == http::errc::protocol_error);
}

BOOST_AUTO_TEST_CASE(truncated_body_is_connection_closed) {
    test_server server(tls_server_options(), [](const served_request&) {
        reply rep;
        rep.raw = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(300, 'a');
        return rep;
    });
    io_threads io;
    http::client client(io.ioc.get_executor(), short_timeouts());
    std::string what;
    BOOST_TEST(failure_of(io, client, get(server.url("/")), &what) ==
               http::errc::connection_closed);
    BOOST_TEST(what.find("read https://127.0.0.1:") != std::string::npos, what);
}

BOOST_AUTO_TEST_CASE(oversized_bodies_are_refused_with_body_too_large) {
    test_server server(tls_server_options(), [](const served_request&) {
        return reply{.status = 200, .body = std::string(1 << 20, 'b')};
    });
    io_threads io;
    auto options = short_timeouts();
    options.max_response_body = 64 * 1024;
    http::client client(io.ioc.get_executor(), options);
    BOOST_TEST(failure_of(io, client, get(server.url("/declared"))) == http::errc::body_too_large);

    // A chunked body without a declared length, far larger than the limit.
    server.set_handler([](const served_request&) {
        reply rep;
        rep.chunked_filler = 64ull << 20;
        return rep;
    });
    BOOST_TEST(failure_of(io, client, get(server.url("/chunked"))) == http::errc::body_too_large);

    // The per-request override raises the limit.
    server.set_handler([](const served_request&) {
        return reply{.status = 200, .body = std::string(1 << 20, 'b')};
    });
    http::request big = get(server.url("/allowed"));
    big.max_response_body = 2 << 20;
    BOOST_TEST(send(io, client, std::move(big)).body.size() == std::size_t(1 << 20));
}

BOOST_AUTO_TEST_CASE(stalling_server_times_out) {
    test_server server(tls_server_options(), [](const served_request&) {
        reply rep;
        rep.stall = true;
        return rep;
    });
    io_threads io;
    http::client client(io.ioc.get_executor(), short_timeouts());
    std::string what;
    http::request req = get(server.url("/slow?signature=s3cr3t"));
    req.headers.set(bhttp::field::authorization, "Bearer top-secret-token");
    BOOST_TEST(failure_of(io, client, req, &what) == http::errc::timed_out);
    BOOST_TEST(what.find("top-secret-token") == std::string::npos);
    BOOST_TEST(what.find("s3cr3t") == std::string::npos);
    // The timed-out connection was closed, not pooled.
    BOOST_TEST(eventually([&] { return server.connections_open() == 0; }));

    // The per-request timeout overrides the client's.
    req.timeout = 200ms;
    BOOST_TEST(failure_of(io, client, req) == http::errc::timed_out);
}

BOOST_AUTO_TEST_CASE(handshake_times_out_when_the_server_never_speaks_tls) {
    // A listener that accepts and then says nothing.
    asio::io_context silent_ctx;
    asio::ip::tcp::acceptor acceptor(silent_ctx, {asio::ip::make_address("127.0.0.1"), 0});
    std::vector<asio::ip::tcp::socket> held;
    std::function<void()> accept_next = [&] {
        acceptor.async_accept([&](boost::system::error_code ec, asio::ip::tcp::socket s) {
            if (ec)
                return;
            held.push_back(std::move(s));
            accept_next();
        });
    };
    accept_next();
    std::thread silent([&] { silent_ctx.run(); });

    io_threads io;
    auto options = trusting_options();
    options.handshake_timeout = 300ms;
    http::client client(io.ioc.get_executor(), options);
    std::string what;
    BOOST_TEST(failure_of(io, client,
                          get("https://127.0.0.1:" +
                              std::to_string(acceptor.local_endpoint().port()) + "/"),
                          &what) == http::errc::timed_out);
    BOOST_TEST(what.find("handshake") != std::string::npos, what);
    asio::post(silent_ctx, [&] {
        acceptor.close();
        held.clear();
    });
    silent.join();
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cancellation)

reply stall(const served_request&) {
    reply rep;
    rep.stall = true;
    return rep;
}

BOOST_AUTO_TEST_CASE(cancelling_through_the_slot_ends_the_request_and_drops_its_connection) {
    test_server server(tls_server_options(), stall);
    io_threads io(2);
    http::client client(io.ioc.get_executor(), trusting_options()); // 60 s request timeout
    auto strand = asio::make_strand(io.ioc);
    asio::cancellation_signal signal;
    auto f = asio::co_spawn(strand, client.send(get(server.url("/slow"))),
                            asio::bind_cancellation_slot(signal.slot(), asio::use_future));
    BOOST_REQUIRE(eventually([&] { return server.requests().size() == 1; }));
    asio::post(strand, [&] { signal.emit(asio::cancellation_type::terminal); });
    try {
        wait_for(f);
        BOOST_FAIL("the request was not cancelled");
    } catch (const http::transport_error& e) {
        BOOST_TEST((e.code() == asio::error::operation_aborted), e.what());
    }
    BOOST_TEST(eventually([&] { return server.connections_open() == 0; }));

    // The client is still usable, on a new connection.
    server.set_handler([](const served_request&) { return reply{.status = 200, .body = "fine"}; });
    BOOST_TEST(send(io, client, get(server.url("/"))).body == "fine");
    BOOST_TEST(client.stats().connections_opened == 2u);
}

BOOST_AUTO_TEST_CASE(a_request_waiting_for_a_pool_slot_can_be_cancelled_or_time_out) {
    test_server server(tls_server_options(), stall);
    io_threads io(2);
    auto options = trusting_options();
    options.max_connections_per_origin = 1;
    http::client client(io.ioc.get_executor(), options);
    auto strand = asio::make_strand(io.ioc);

    asio::cancellation_signal first_signal, second_signal;
    auto first =
        asio::co_spawn(strand, client.send(get(server.url("/first"))),
                       asio::bind_cancellation_slot(first_signal.slot(), asio::use_future));
    BOOST_REQUIRE(eventually([&] { return server.requests().size() == 1; }));

    // The only slot is taken: this one waits, and its own timeout ends the wait.
    http::request bounded = get(server.url("/bounded"));
    bounded.timeout = 200ms;
    std::string what;
    BOOST_TEST(failure_of(io, client, bounded, &what) == http::errc::timed_out);
    BOOST_TEST(what.find("waiting for a connection") != std::string::npos, what);

    auto second =
        asio::co_spawn(strand, client.send(get(server.url("/second"))),
                       asio::bind_cancellation_slot(second_signal.slot(), asio::use_future));
    asio::post(strand, [&] { second_signal.emit(asio::cancellation_type::terminal); });
    try {
        wait_for(second);
        BOOST_FAIL("the waiting request was not cancelled");
    } catch (const http::transport_error& e) {
        BOOST_TEST((e.code() == asio::error::operation_aborted), e.what());
    }
    BOOST_TEST(server.requests().size() == 1u);

    asio::post(strand, [&] { first_signal.emit(asio::cancellation_type::terminal); });
    BOOST_CHECK_THROW(wait_for(first), http::transport_error);

    // The slot came back.
    server.set_handler([](const served_request&) { return reply{.status = 200, .body = "fine"}; });
    BOOST_TEST(send(io, client, get(server.url("/"))).body == "fine");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(completion_styles)

BOOST_AUTO_TEST_CASE(callback_and_coroutine_styles) {
    test_server server(tls_server_options());
    io_threads io;
    http::client client(io.ioc.get_executor(), trusting_options());

    std::promise<unsigned> status;
    client.async_send(get(server.url("/cb")), [&](std::exception_ptr e, http::response r) {
        if (e)
            status.set_exception(e);
        else
            status.set_value(r.status);
    });
    auto f = status.get_future();
    BOOST_TEST(wait_for(f) == 200u);

    auto coro = [&]() -> asio::awaitable<std::string> {
        auto r = co_await client.async_send(get(server.url("/co")));
        co_return r.body;
    };
    auto g = asio::co_spawn(io.ioc, coro(), asio::use_future);
    BOOST_TEST(wait_for(g) == "ok");
}

BOOST_AUTO_TEST_SUITE_END()
