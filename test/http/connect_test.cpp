// Connecting to a name with several addresses (src/http/connect.hpp): the order the addresses
// are tried in, and trying them in turn against loopback listeners that refuse, never answer or
// accept. A listener that never answers: backlog 0 and one connection left unaccepted fills its
// queue, and the kernel then drops further SYNs, so a connect to it hangs until its deadline.
#include <boost/test/unit_test.hpp>

#include "connect.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace http = ascpp::http;
namespace detail = ascpp::http::detail;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

tcp::endpoint ep(const char* address, std::uint16_t port) {
    return {asio::ip::make_address(address), port};
}

// A loopback port nothing listens on (it was free a moment ago).
std::uint16_t closed_port(const char* address) {
    asio::io_context io;
    tcp::acceptor a(io, ep(address, 0));
    return a.local_endpoint().port();
}

// A listener whose accept queue is full: connects to it go unanswered.
struct unanswering_listener {
    asio::io_context io;
    tcp::acceptor acceptor{io};
    tcp::socket queued{io};
    tcp::endpoint endpoint;

    explicit unanswering_listener(const char* address) {
        acceptor.open(ep(address, 0).protocol());
        acceptor.bind(ep(address, 0));
        acceptor.listen(0);
        endpoint = acceptor.local_endpoint();
        queued.connect(endpoint); // never accepted: it fills the queue
    }
};

// Runs connect_any on a fresh stream; the endpoint it connected to, or the error it threw.
struct outcome {
    std::optional<tcp::endpoint> connected;
    std::optional<boost::system::error_code> code;
    std::string what;
};

outcome connect(const std::vector<tcp::endpoint>& endpoints, detail::connect_budget budget) {
    asio::io_context io;
    auto strand = asio::make_strand(io.get_executor());
    boost::beast::tcp_stream stream{asio::any_io_executor(strand)};
    const std::string name = "https://test:443"; // outlives the coroutine, which refers to it
    auto f = asio::co_spawn(strand, detail::connect_any(stream, endpoints, name, budget),
                            asio::use_future);
    io.run();
    outcome out;
    try {
        out.connected = f.get();
        BOOST_TEST(stream.socket().is_open());
        BOOST_TEST(stream.socket().remote_endpoint() == *out.connected);
    } catch (const detail::attempt_error& e) {
        out.code = e.code();
        out.what = e.what();
        BOOST_TEST(!e.before_response);
        BOOST_TEST(!stream.socket().is_open());
    }
    return out;
}

detail::connect_budget budget(std::chrono::milliseconds whole, std::chrono::milliseconds each) {
    return {detail::clock::now() + whole, whole, each};
}

} // namespace

BOOST_AUTO_TEST_SUITE(many_addresses)

BOOST_AUTO_TEST_CASE(families_alternate_from_the_first_answer) {
    const auto a6 = ep("2001:db8::1", 443), b6 = ep("2001:db8::2", 443);
    const auto a4 = ep("192.0.2.1", 443), b4 = ep("192.0.2.2", 443), c4 = ep("192.0.2.3", 443);
    using list = std::vector<tcp::endpoint>;
    BOOST_TEST((detail::interleave_families(list{a6, b6, a4, b4, c4}) == list{a6, a4, b6, b4, c4}));
    BOOST_TEST((detail::interleave_families(list{a4, b4, c4, a6}) == list{a4, a6, b4, c4}));
    BOOST_TEST((detail::interleave_families(list{a4, a6, b6}) == list{a4, a6, b6}));
    // One family alone keeps the resolver's order; a repeated address is tried once.
    BOOST_TEST((detail::interleave_families(list{b4, a4, b4}) == list{b4, a4}));
    BOOST_TEST((detail::interleave_families(list{a6}) == list{a6}));
    BOOST_TEST(detail::interleave_families(list{}).empty());
}

BOOST_AUTO_TEST_CASE(an_unanswering_first_address_gives_way_to_the_next) {
    unanswering_listener silent("::1");
    asio::io_context io;
    tcp::acceptor working(io, ep("127.0.0.1", 0));
    const auto second = working.local_endpoint();

    auto r = connect({silent.endpoint, second}, budget(60s, 300ms));
    BOOST_TEST_REQUIRE(r.connected.has_value(), r.what);
    BOOST_TEST(*r.connected == second);
}

BOOST_AUTO_TEST_CASE(a_refusing_address_is_skipped_at_once) {
    asio::io_context io;
    tcp::acceptor working(io, ep("::1", 0));
    const auto second = working.local_endpoint();
    // No per-address limit at all: only a refusal can move on to the second address.
    auto r = connect({ep("127.0.0.1", closed_port("127.0.0.1")), second}, budget(60s, 0ms));
    BOOST_TEST_REQUIRE(r.connected.has_value(), r.what);
    BOOST_TEST(*r.connected == second);
}

BOOST_AUTO_TEST_CASE(when_every_address_fails_the_error_says_how_many_and_the_last_failure) {
    const auto v6 = ep("::1", closed_port("::1"));
    const auto v4 = ep("127.0.0.1", closed_port("127.0.0.1"));
    auto r = connect({v6, v4}, budget(60s, 2s));
    BOOST_TEST_REQUIRE(r.code.has_value());
    BOOST_TEST((*r.code == http::errc::connect_failed), r.what);
    BOOST_TEST(r.what.starts_with("connect https://test:443: 2 of 2 addresses tried, the last: " +
                                  v4.address().to_string() + ":" + std::to_string(v4.port()) +
                                  ": "),
               r.what);

    // One address: its failure alone.
    auto one = connect({v6}, budget(60s, 2s));
    BOOST_TEST_REQUIRE(one.code.has_value());
    BOOST_TEST((*one.code == http::errc::connect_failed), one.what);
    BOOST_TEST(
        one.what.starts_with("connect https://test:443: [::1]:" + std::to_string(v6.port()) + ": "),
        one.what);
}

BOOST_AUTO_TEST_CASE(the_last_address_has_what_is_left_and_the_whole_is_bounded) {
    unanswering_listener silent("::1");
    const auto refusing = ep("127.0.0.1", closed_port("127.0.0.1"));
    const auto silent_text = "[::1]:" + std::to_string(silent.endpoint.port());

    // The unanswering address last: it waits out the whole budget, not the per-address limit.
    auto r = connect({refusing, silent.endpoint}, budget(700ms, 100ms));
    BOOST_TEST_REQUIRE(r.code.has_value());
    BOOST_TEST((*r.code == http::errc::timed_out), r.what);
    BOOST_TEST(r.what.starts_with("connect https://test:443: not connected within 700 ms; 2 of 2 "
                                  "addresses tried, the last: " +
                                  silent_text + " did not answer within "),
               r.what);

    // The budget ends while the first address is still being waited for: the rest are not tried.
    auto cut = connect({silent.endpoint, refusing}, budget(300ms, 5s));
    BOOST_TEST_REQUIRE(cut.code.has_value());
    BOOST_TEST((*cut.code == http::errc::timed_out), cut.what);
    BOOST_TEST(cut.what.find("1 of 2 addresses tried, the last: " + silent_text) !=
                   std::string::npos,
               cut.what);
}

BOOST_AUTO_TEST_SUITE_END()
