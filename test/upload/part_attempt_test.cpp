// What one send of a part means (src/upload/part_attempt.hpp), without a host: acknowledged,
// sent again, URLs refreshed, or the upload ended, and with which error.
#include <boost/test/unit_test.hpp>

#include "upload/part_attempt.hpp"

#include <ascpp/http/error.hpp>

#include <boost/asio/error.hpp>

#include <string>

namespace http = ascpp::http;
namespace upload = ascpp::upload;
namespace detail = ascpp::upload::detail;
using detail::part_step;
using upload::upload_errc;

namespace {

const upload::digest md5 = upload::digest_from_hex("0123456789abcdef0123456789abcdef", 16);
const upload::digest other = upload::digest_from_hex("fedcba9876543210fedcba9876543210", 16);

detail::part_outcome answered(unsigned status, std::string_view etag = {}) {
    detail::part_outcome o;
    o.status = status;
    o.etag = etag;
    o.part_md5 = md5;
    return o;
}

detail::part_outcome failed(boost::system::error_code ec) {
    detail::part_outcome o;
    o.transport_error = ec;
    o.transport_what = "PUT /part: it failed";
    return o;
}

upload::retry_options retry(unsigned max_attempts, unsigned max_url_refreshes = 3) {
    upload::retry_options r;
    r.max_attempts = max_attempts;
    r.max_url_refreshes = max_url_refreshes;
    return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_2xx_with_the_parts_md5_or_no_md5_as_etag_is_acknowledged) {
    detail::part_tally t;
    BOOST_TEST((detail::judge_part_attempt(answered(200, "\"0123456789ABCDEF0123456789ABCDEF\""), t,
                                           retry(3), 1)
                    .step == part_step::acknowledged));
    BOOST_TEST((detail::judge_part_attempt(answered(200), t, retry(3), 1).step ==
                part_step::acknowledged));
    // An ETag that is not an MD5 (a multipart-style ETag) says nothing about the bytes.
    BOOST_TEST((detail::judge_part_attempt(answered(204, "\"abc-2\""), t, retry(3), 1).step ==
                part_step::acknowledged));
    BOOST_TEST(t.failures == 0u);
}

BOOST_AUTO_TEST_CASE(an_etag_that_differs_sends_and_hashes_again_then_ends_as_a_checksum_mismatch) {
    detail::part_tally t;
    const std::string etag = other.hex(); // the outcome views it
    const auto wrong = answered(200, etag);
    auto v = detail::judge_part_attempt(wrong, t, retry(2), 7);
    BOOST_TEST((v.step == part_step::retry));
    BOOST_TEST(v.rehash);
    BOOST_TEST(t.failures == 1u);
    v = detail::judge_part_attempt(wrong, t, retry(2), 7);
    BOOST_TEST((v.step == part_step::fail));
    BOOST_TEST((v.error == upload_errc::checksum_mismatch));
    BOOST_TEST(v.message == "part 7 failed 2 times; last: the ETag the upload host returned is "
                            "not the MD5 of the part");
}

BOOST_AUTO_TEST_CASE(a_mismatch_earlier_makes_the_final_failure_a_checksum_mismatch) {
    detail::part_tally t;
    BOOST_TEST((detail::judge_part_attempt(answered(200, other.hex()), t, retry(2), 3).step ==
                part_step::retry));
    const auto v = detail::judge_part_attempt(answered(503), t, retry(2), 3);
    BOOST_TEST((v.step == part_step::fail));
    BOOST_TEST((v.error == upload_errc::checksum_mismatch));
    BOOST_TEST(!v.rehash);
    BOOST_TEST(v.message == "part 3 failed 2 times; last: the upload host answered HTTP 503");
}

BOOST_AUTO_TEST_CASE(a_403_refreshes_the_urls_without_counting_a_failure_until_the_limit) {
    detail::part_tally t;
    for (int i = 0; i < 2; ++i)
        BOOST_TEST((detail::judge_part_attempt(answered(403), t, retry(1, 2), 4).step ==
                    part_step::refresh));
    BOOST_TEST(t.failures == 0u);
    const auto v = detail::judge_part_attempt(answered(403), t, retry(1, 2), 4);
    BOOST_TEST((v.step == part_step::fail));
    BOOST_TEST((v.error == upload_errc::part_failed));
    BOOST_TEST(v.message ==
               "part 4: the upload host still answers 403 after 2 refreshes of the upload "
               "operations");
}

BOOST_AUTO_TEST_CASE(transient_statuses_are_retried_until_max_attempts) {
    detail::part_tally t;
    for (unsigned status : {500u, 503u, 429u, 408u})
        BOOST_TEST((detail::judge_part_attempt(answered(status), t, retry(5), 2).step ==
                    part_step::retry));
    const auto v = detail::judge_part_attempt(answered(502), t, retry(5), 2);
    BOOST_TEST((v.step == part_step::fail));
    BOOST_TEST((v.error == upload_errc::part_failed));
    BOOST_TEST(v.message == "part 2 failed 5 times; last: the upload host answered HTTP 502");
}

BOOST_AUTO_TEST_CASE(other_statuses_end_the_part_at_once) {
    for (unsigned status : {400u, 404u, 409u, 301u}) {
        detail::part_tally t;
        const auto v = detail::judge_part_attempt(answered(status), t, retry(5), 9);
        BOOST_TEST((v.step == part_step::fail));
        BOOST_TEST((v.error == upload_errc::part_failed));
        BOOST_TEST(v.message == "part 9: the upload host answered HTTP " + std::to_string(status));
        BOOST_TEST(t.failures == 0u);
    }
}

BOOST_AUTO_TEST_CASE(transport_failures_retry_when_transient_and_end_otherwise) {
    detail::part_tally t;
    BOOST_TEST(
        (detail::judge_part_attempt(failed(http::errc::connection_closed), t, retry(3), 5).step ==
         part_step::retry));
    BOOST_TEST(
        (detail::judge_part_attempt(failed(boost::asio::error::connection_reset), t, retry(3), 5)
             .step == part_step::retry));
    BOOST_TEST(t.last_failure == "PUT /part: it failed");
    const auto last = detail::judge_part_attempt(failed(http::errc::timed_out), t, retry(3), 5);
    BOOST_TEST((last.step == part_step::fail));
    BOOST_TEST(last.message == "part 5 failed 3 times; last: PUT /part: it failed");

    detail::part_tally fresh;
    const auto tls = detail::judge_part_attempt(failed(http::errc::tls_failed), fresh, retry(3), 5);
    BOOST_TEST((tls.step == part_step::fail));
    BOOST_TEST((tls.error == upload_errc::part_failed));
    BOOST_TEST(tls.message == "part 5: PUT /part: it failed");
    BOOST_TEST(fresh.failures == 0u);
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_read_and_a_cancellation_end_the_part_as_themselves) {
    detail::part_tally t;
    const auto file = detail::judge_part_attempt(failed(http::errc::file_error), t, retry(3), 6);
    BOOST_TEST((file.step == part_step::fail));
    BOOST_TEST((file.error == upload_errc::file_error));
    BOOST_TEST(file.message == "PUT /part: it failed");
    BOOST_TEST(
        (detail::judge_part_attempt(failed(boost::asio::error::operation_aborted), t, retry(3), 6)
             .step == part_step::cancelled));
    BOOST_TEST(t.failures == 0u);
}
