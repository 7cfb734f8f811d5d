// The one transient classifier (src/detail/transient.hpp): which failures the watcher polls again
// after and publish reconciles after.
#include <boost/test/unit_test.hpp>

#include "detail/transient.hpp"

#include <ascpp/api/error.hpp>
#include <ascpp/http/error.hpp>

#include <boost/asio/error.hpp>

#include <stdexcept>

static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "api_transient_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace api = ascpp::api;
namespace http = ascpp::http;
using ascpp::detail::is_transient_failure;

namespace {

template <class E>
std::exception_ptr failure(E e) {
    return std::make_exception_ptr(std::move(e));
}

std::exception_ptr status(unsigned s) {
    return failure(api::api_error(s, "backgroundAssets_getInstance", "req-1", ""));
}

std::exception_ptr transport(http::errc e) {
    return failure(http::transport_error(e, "GET /v1/backgroundAssets"));
}

} // namespace

BOOST_AUTO_TEST_CASE(rate_limits_timeouts_and_server_errors_are_transient) {
    BOOST_TEST(is_transient_failure(status(429)));
    BOOST_TEST(is_transient_failure(status(408)));
    BOOST_TEST(is_transient_failure(status(500)));
    BOOST_TEST(is_transient_failure(status(503)));
    BOOST_TEST(is_transient_failure(status(599)));
}

BOOST_AUTO_TEST_CASE(refusals_of_the_request_itself_are_final) {
    BOOST_TEST(!is_transient_failure(status(400)));
    BOOST_TEST(!is_transient_failure(status(401)));
    BOOST_TEST(!is_transient_failure(status(403)));
    BOOST_TEST(!is_transient_failure(status(404)));
    BOOST_TEST(!is_transient_failure(status(409)));
    BOOST_TEST(!is_transient_failure(status(600)));
}

BOOST_AUTO_TEST_CASE(lost_or_unreachable_connections_are_transient) {
    BOOST_TEST(is_transient_failure(transport(http::errc::timed_out)));
    BOOST_TEST(is_transient_failure(transport(http::errc::connection_closed)));
    BOOST_TEST(is_transient_failure(transport(http::errc::connect_failed)));
    BOOST_TEST(is_transient_failure(transport(http::errc::resolve_failed)));
    BOOST_TEST(is_transient_failure(transport(http::errc::protocol_error)));
    // A raw socket error that the transport passes on as it is.
    BOOST_TEST(is_transient_failure(failure(
        http::transport_error(boost::asio::error::connection_reset, "POST /v1/backgroundAssets"))));
}

BOOST_AUTO_TEST_CASE(failures_that_would_fail_again_the_same_way_are_final) {
    BOOST_TEST(!is_transient_failure(transport(http::errc::tls_failed)));
    BOOST_TEST(!is_transient_failure(transport(http::errc::invalid_url)));
    BOOST_TEST(!is_transient_failure(transport(http::errc::insecure_scheme)));
    BOOST_TEST(!is_transient_failure(transport(http::errc::body_too_large)));
}

BOOST_AUTO_TEST_CASE(a_cancellation_is_never_retried) {
    // errc::cancelled becomes operation_aborted, the one cancellation code.
    BOOST_TEST(!is_transient_failure(transport(http::errc::cancelled)));
    BOOST_TEST(!is_transient_failure(
        failure(http::transport_error(boost::asio::error::operation_aborted, "GET /v1/apps"))));
    BOOST_TEST(!is_transient_failure(
        failure(boost::system::system_error(boost::asio::error::operation_aborted))));
}

BOOST_AUTO_TEST_CASE(other_exceptions_and_no_failure_are_final) {
    BOOST_TEST(!is_transient_failure(failure(std::runtime_error("disk full"))));
    BOOST_TEST(!is_transient_failure(failure(std::invalid_argument("bad id"))));
    BOOST_TEST(!is_transient_failure(std::exception_ptr()));
}
