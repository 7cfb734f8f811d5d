// Publishing through a real HTTP proxy: tinyproxy (a Debian package; scripts/bootstrap.sh
// installs it) on loopback, with a configuration this test writes, in front of the in-process
// simulator over TLS. The proxy's log shows which tunnels it opened. And through a small CONNECT
// proxy written here, which cuts a tunnel in the middle of a part.
#include <boost/test/unit_test.hpp>

#include "workflow/support/sim_env.hpp"

#include <ascpp/http/client.hpp>
#include <ascpp/sim/simulator.hpp>
#include <ascpp/workflow/publish.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

extern char** environ;

namespace api = ascpp::api;
namespace http = ascpp::http;
namespace sim = ascpp::sim;
namespace wf = ascpp::workflow;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool accepts(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// tinyproxy in the foreground, stopped on destruction.
struct tinyproxy {
    fs::path dir;
    std::uint16_t port = free_port();
    pid_t pid = -1;

    explicit tinyproxy(const fs::path& work, const std::string& basic_auth = "") : dir(work) {
        fs::create_directories(dir);
        std::ofstream(dir / "tinyproxy.conf")
            << "Port " << port << "\nListen 127.0.0.1\nTimeout 60\nMaxClients 50\n"
            << "Allow 127.0.0.1\nLogLevel Connect\nLogFile \"" << (dir / "tinyproxy.log").string()
            << "\"\n"
            << (basic_auth.empty() ? "" : "BasicAuth " + basic_auth + "\n");
        std::string program = "/usr/bin/tinyproxy", d = "-d", c = "-c";
        std::string conf = (dir / "tinyproxy.conf").string();
        BOOST_TEST_REQUIRE(fs::exists(program),
                           "tinyproxy is not installed (scripts/bootstrap.sh)");
        char* argv[] = {program.data(), d.data(), c.data(), conf.data(), nullptr};
        BOOST_TEST_REQUIRE(::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, environ) ==
                           0);
        for (int i = 0; i < 250 && !accepts(port); ++i)
            std::this_thread::sleep_for(20ms);
        BOOST_TEST_REQUIRE(accepts(port), "tinyproxy did not start");
    }
    ~tinyproxy() {
        ::kill(pid, SIGTERM);
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
    // How many CONNECT requests (to `host`, when given) the proxy logged.
    std::size_t tunnels_to(const std::string& host = "") const {
        std::ifstream log(dir / "tinyproxy.log");
        std::size_t n = 0;
        const std::string needle = host.empty() ? "): CONNECT " : "CONNECT " + host + ":";
        for (std::string line; std::getline(log, line);)
            if (line.find(needle) != std::string::npos)
                ++n;
        return n;
    }
};

// A CONNECT proxy on loopback, on its own thread: it opens each tunnel asked for and forwards
// bytes both ways, except that the first tunnel to `cut_target` ("host:port") is closed, both
// ends, once `cut_after` bytes from the client have gone through it.
struct cutting_proxy {
    using tcp = asio::ip::tcp;
    asio::io_context io;
    tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
    std::string cut_target;
    std::uint64_t cut_after;
    std::atomic<int> tunnels{0};
    std::atomic<int> cuts{0};
    bool cut_chosen = false; // touched on the proxy's thread only
    std::thread thread;

    struct tunnel {
        tcp::socket client, upstream;
        bool cut = false;            // this is the tunnel to cut
        std::uint64_t forwarded = 0; // client to upstream
        void close() {
            boost::system::error_code ignored;
            client.close(ignored);
            upstream.close(ignored);
        }
    };

    cutting_proxy(std::string target, std::uint64_t after)
        : cut_target(std::move(target)), cut_after(after) {
        asio::co_spawn(io, accept_loop(), asio::detached);
        thread = std::thread([this] { io.run(); });
    }
    ~cutting_proxy() {
        asio::post(io, [this] {
            boost::system::error_code ignored;
            acceptor.close(ignored);
            io.stop();
        });
        thread.join();
    }
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            boost::system::error_code ec;
            tcp::socket s =
                co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                co_return;
            asio::co_spawn(io, serve(std::move(s)), asio::detached);
        }
    }

    asio::awaitable<void> serve(tcp::socket client) {
        auto t = std::make_shared<tunnel>(tunnel{std::move(client), tcp::socket(io)});
        boost::system::error_code ec;
        std::string head;
        // The client sends nothing after its CONNECT until the answer, so nothing is read past it.
        co_await asio::async_read_until(t->client, asio::dynamic_buffer(head), "\r\n\r\n",
                                        asio::redirect_error(asio::use_awaitable, ec));
        if (ec || !head.starts_with("CONNECT "))
            co_return;
        const std::string target = head.substr(8, head.find(' ', 8) - 8);
        const auto colon = target.rfind(':');
        std::string host = target.substr(0, colon);
        if (host.starts_with("["))
            host = host.substr(1, host.size() - 2);
        const tcp::endpoint upstream(
            asio::ip::make_address(host),
            static_cast<std::uint16_t>(std::stoul(target.substr(colon + 1))));
        co_await t->upstream.async_connect(upstream, asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            co_return;
        ++tunnels;
        if (target == cut_target && !cut_chosen)
            cut_chosen = t->cut = true;
        const std::string established = "HTTP/1.1 200 Connection established\r\n\r\n";
        co_await asio::async_write(t->client, asio::buffer(established),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            co_return;
        asio::co_spawn(io, pump(t, true), asio::detached);
        co_await pump(t, false);
    }

    // Forwards one direction until either side ends, then closes both.
    asio::awaitable<void> pump(std::shared_ptr<tunnel> t, bool from_client) {
        auto& from = from_client ? t->client : t->upstream;
        auto& to = from_client ? t->upstream : t->client;
        std::vector<char> buffer(16 * 1024);
        for (;;) {
            boost::system::error_code ec;
            std::size_t n = co_await from.async_read_some(
                asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                break;
            bool cut_now = false;
            if (from_client && t->cut) {
                n = static_cast<std::size_t>(std::min<std::uint64_t>(n, cut_after - t->forwarded));
                t->forwarded += n;
                cut_now = t->forwarded == cut_after;
            }
            co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                break;
            if (cut_now) {
                ++cuts;
                break;
            }
        }
        t->close();
    }
};

// "127.0.0.2" of "https://127.0.0.2:4443".
std::string host_of(const std::string& url) {
    const auto start = url.find("://") + 3;
    return url.substr(start, url.rfind(':') - start);
}

struct fixture {
    ascpp::testing::temp_dir work{"ascpp-proxy-"};
    const fs::path& dir = work.path;
    sim::simulator s{options()};
    sim::api_credentials key = s.create_api_key();

    static sim::simulator_options options() {
        sim::simulator_options o;
        o.part_size = 64 * 1024;
        o.upload_processing_delay = 20ms;
        o.version_processing_delay = 20ms;
        return o;
    }
    api::client_config config(const http::proxy_settings& proxy) const {
        auto c = ascpp::testing::client_config(s, key);
        c.http.proxy = proxy;
        return c;
    }
    fs::path archive(const std::string& name) {
        return work.write(name, ascpp::testing::make_bytes(5 * 64 * 1024 + 123, 7));
    }
    // Publishes one pack through `proxy` and returns the client's stats.
    api::client_stats publish(const http::proxy_settings& proxy, const std::string& identifier,
                              std::uint64_t* connections = nullptr) {
        asio::io_context io;
        api::client client(io.get_executor(), config(proxy));
        wf::publish_options po;
        wf::poll_policy fast;
        fast.initial = 20ms;
        fast.max = 200ms;
        po.watch.poll = fast;
        const wf::publish_request req{s.options().app_ids.front(), identifier,
                                      archive(identifier + ".aar"), std::nullopt};
        auto f = asio::co_spawn(io, wf::publish(client, req, po), asio::use_future);
        io.run(); // returns when the publish is done: nothing of ascpp's keeps it busy
        auto r = f.get();
        BOOST_TEST(r.version_state == "COMPLETE");
        if (connections)
            *connections = client.http().stats().connections_opened;
        return client.stats();
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(through_a_proxy, fixture)

BOOST_AUTO_TEST_CASE(publish_tunnels_both_origins_and_reuses_the_tunnels) {
    tinyproxy proxy(dir / "proxy");
    auto settings =
        http::proxy_settings::from_url("http://127.0.0.1:" + std::to_string(proxy.port));
    std::uint64_t opened = 0;
    auto stats = publish(settings, "Proxied", &opened);
    BOOST_TEST(s.stats().checksums_matched == 1u);
    const auto api_tunnels = proxy.tunnels_to(host_of(s.api_url()));
    BOOST_TEST(api_tunnels >= 1u);
    BOOST_TEST(proxy.tunnels_to(host_of(s.upload_url())) >= 1u);
    // Every connection the client opened was a tunnel, and the tunnels were kept alive: far
    // fewer than the API requests sent through them.
    BOOST_TEST(opened == proxy.tunnels_to());
    BOOST_TEST(stats.requests_sent > api_tunnels);
}

BOOST_AUTO_TEST_CASE(no_proxy_sends_the_parts_directly) {
    tinyproxy proxy(dir / "proxy");
    auto settings =
        http::proxy_settings::from_url("http://127.0.0.1:" + std::to_string(proxy.port));
    // The upload host by address and port: the API, on another port of the same address when
    // 127.0.0.2 cannot be bound, still goes through the proxy.
    const std::string upload = s.upload_url();
    settings.no_proxy = {upload.substr(upload.find("://") + 3)};
    publish(settings, "Direct");
    BOOST_TEST(s.stats().checksums_matched == 1u);
    const std::string api_port = s.api_url().substr(s.api_url().rfind(':') + 1);
    const std::string upload_port = upload.substr(upload.rfind(':') + 1);
    BOOST_TEST(proxy.tunnels_to(host_of(s.api_url())) >= 1u);
    std::ifstream log(proxy.dir / "tinyproxy.log");
    std::stringstream text;
    text << log.rdbuf();
    BOOST_TEST(text.str().find(":" + upload_port + " HTTP") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(proxy_credentials_are_sent_and_a_refusal_is_clear) {
    tinyproxy proxy(dir / "proxy", "alice s3cret");
    const std::string base = "127.0.0.1:" + std::to_string(proxy.port);
    publish(http::proxy_settings::from_url("http://alice:s3cret@" + base), "WithAuth");
    BOOST_TEST(s.stats().checksums_matched == 1u);

    try {
        publish(http::proxy_settings::from_url("http://alice:wrong-password@" + base), "Refused");
        BOOST_FAIL("a refused tunnel went unnoticed");
    } catch (const http::transport_error& e) {
        const std::string what = e.what();
        BOOST_TEST((e.code() == http::errc::proxy_failed), what);
        BOOST_TEST(what.find("proxy authentication") != std::string::npos, what);
        BOOST_TEST(what.find("wrong-password") == std::string::npos, what);
    }
}

BOOST_AUTO_TEST_CASE(a_tunnel_cut_in_the_middle_of_a_part_is_recovered_from) {
    // The first tunnel to the upload host is cut half-way through its first part (the TLS
    // handshake and the request head take a few KiB of the 32).
    const std::string upload = s.upload_url();
    cutting_proxy proxy(upload.substr(upload.find("://") + 3), 32 * 1024);
    auto settings =
        http::proxy_settings::from_url("http://127.0.0.1:" + std::to_string(proxy.port()));
    publish(settings, "Cut");

    BOOST_TEST(proxy.cuts == 1);
    const auto st = s.stats();
    // Nothing lost: the simulator assembled the parts and their checksums matched the client's.
    BOOST_TEST(st.checksums_matched == 1u);
    BOOST_TEST(st.checksums_mismatched == 0u);
    // The cut part was sent again: six parts accepted, and one more request than parts (the
    // simulator counts a part's request when its head arrives, and the cut came after it).
    BOOST_TEST(st.parts_received == 6u);
    BOOST_TEST(st.requests.at("upload_part") >= 7u);
}

BOOST_AUTO_TEST_SUITE_END()
