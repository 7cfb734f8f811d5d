// upload::validate_operations on its own: the decision of whether a reservation's operations
// describe the file, with no server and no I/O.
#include <boost/test/unit_test.hpp>

#include <ascpp/upload/upload_error.hpp>
#include <ascpp/upload/upload_file.hpp>

#include <string>
#include <vector>

static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "upload_decisions_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace api = ascpp::api;
namespace upload = ascpp::upload;

namespace {

api::delivery_file_upload_operation op(std::int64_t offset, std::int64_t length,
                                       std::optional<std::int64_t> part = std::nullopt) {
    api::delivery_file_upload_operation o;
    o.method = "PUT";
    o.url = "https://upload.example.com/part?o=" + std::to_string(offset);
    o.offset = offset;
    o.length = length;
    o.part_number = part;
    return o;
}

// The message of the invalid_operations error validate_operations throws, or "" when it accepts.
std::string refusal(const std::vector<api::delivery_file_upload_operation>& ops,
                    std::uint64_t size) {
    try {
        upload::validate_operations(ops, size);
    } catch (const upload::upload_error& e) {
        BOOST_TEST((e.code() == upload::upload_errc::invalid_operations));
        return e.what();
    }
    return {};
}

bool mentions(const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(operations_are_sorted_by_offset_and_numbered_when_unnumbered) {
    auto out = upload::validate_operations({op(10, 5), op(0, 10)}, 15);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST(out[0].offset == 0u);
    BOOST_TEST(out[0].length == 10u);
    BOOST_TEST(out[0].part_number == 1);
    BOOST_TEST(out[1].offset == 10u);
    BOOST_TEST(out[1].part_number == 2);
    BOOST_TEST(out[1].method == "PUT");
    BOOST_TEST(out[1].url == "https://upload.example.com/part?o=10");
}

BOOST_AUTO_TEST_CASE(part_numbers_from_the_server_are_kept) {
    auto out = upload::validate_operations({op(5, 5, 7), op(0, 5, 3)}, 10);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST(out[0].part_number == 3);
    BOOST_TEST(out[1].part_number == 7);
}

BOOST_AUTO_TEST_CASE(an_empty_reservation_is_refused) {
    BOOST_TEST(mentions(refusal({}, 10), "no upload operations"));
}

BOOST_AUTO_TEST_CASE(methods_that_cannot_carry_a_part_are_refused) {
    auto o = op(0, 10);
    o.method.reset();
    BOOST_TEST(mentions(refusal({o}, 10), "no method"));
    o.method = "GET";
    BOOST_TEST(mentions(refusal({o}, 10), "method 'GET' cannot carry a file part"));
    for (const char* ok : {"PUT", "POST", "PATCH"}) {
        o.method = ok;
        BOOST_TEST(refusal({o}, 10).empty());
    }
}

BOOST_AUTO_TEST_CASE(urls_must_be_absolute_https_or_loopback_http) {
    auto o = op(0, 10);
    o.url.reset();
    BOOST_TEST(mentions(refusal({o}, 10), "no url"));
    o.url = "/relative/part";
    BOOST_TEST(mentions(refusal({o}, 10), "not an absolute URL"));
    o.url = "ftp://upload.example.com/part";
    BOOST_TEST(mentions(refusal({o}, 10), "scheme is not https"));
    o.url = "http://upload.example.com/part";
    BOOST_TEST(mentions(refusal({o}, 10), "plain http:// to a non-loopback host"));
    o.url = "http://127.0.0.1:8080/part";
    BOOST_TEST(refusal({o}, 10).empty());
    o.url = "http://localhost/part";
    BOOST_TEST(refusal({o}, 10).empty());
}

BOOST_AUTO_TEST_CASE(ranges_must_lie_inside_the_file) {
    BOOST_TEST(mentions(refusal({op(-1, 5)}, 10), "offset is missing or negative"));
    BOOST_TEST(mentions(refusal({op(0, 0)}, 10), "length is missing or less than 1"));
    BOOST_TEST(mentions(refusal({op(5, 6)}, 10), "bytes [5, 11) lie outside the file (10 bytes)"));
    BOOST_TEST(mentions(refusal({op(10, 1)}, 10), "lie outside the file"));
    // A length that would overflow offset + length is still caught.
    BOOST_TEST(mentions(refusal({op(1, INT64_MAX)}, 10), "lie outside the file"));
    BOOST_TEST(refusal({op(0, 9), op(9, 1)}, 10).empty()); // the last byte, as a part of its own
}

BOOST_AUTO_TEST_CASE(part_numbers_must_be_positive_and_on_all_or_none) {
    BOOST_TEST(mentions(refusal({op(0, 10, 0)}, 10), "partNumber is less than 1"));
    BOOST_TEST(mentions(refusal({op(0, 5, 1), op(5, 5)}, 10),
                        "some upload operations have a partNumber and others do not"));
}

BOOST_AUTO_TEST_CASE(the_error_names_the_operation) {
    auto message = refusal({op(0, 5, 1), op(5, 50, 2)}, 10);
    BOOST_TEST(mentions(message, "upload operation 2 (partNumber 2)"));
}

BOOST_AUTO_TEST_CASE(headers_are_checked_and_transport_headers_dropped) {
    auto o = op(0, 10);
    o.request_headers = std::vector<api::http_header>{};
    api::http_header type;
    type.name = "Content-Type";
    type.value = "application/octet-stream";
    api::http_header length;
    length.name = "content-length";
    length.value = "10";
    api::http_header host;
    host.name = "Host";
    host.value = "elsewhere.example.com";
    o.request_headers->push_back(type);
    o.request_headers->push_back(length);
    o.request_headers->push_back(host);
    auto out = upload::validate_operations({o}, 10);
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST_REQUIRE(out[0].headers.size() == 1u);
    BOOST_TEST(out[0].headers[0].first == "Content-Type");
    BOOST_TEST(out[0].headers[0].second == "application/octet-stream");

    (*o.request_headers)[1].value = "11";
    BOOST_TEST(mentions(refusal({o}, 10), "Content-Length header contradicts its length"));
    (*o.request_headers)[1].value = "10";
    (*o.request_headers)[0].value = "text/plain\r\nX-Injected: 1";
    BOOST_TEST(mentions(refusal({o}, 10), "contains a line break"));
    (*o.request_headers)[0].value = "text/plain";
    (*o.request_headers)[0].name.reset();
    BOOST_TEST(mentions(refusal({o}, 10), "a request header has no name"));
}

BOOST_AUTO_TEST_CASE(parts_must_cover_the_file_once_without_gaps) {
    BOOST_TEST(mentions(refusal({op(0, 5, 1), op(5, 5, 1)}, 10), "partNumber 1 appears twice"));
    BOOST_TEST(mentions(refusal({op(0, 6, 1), op(5, 5, 2)}, 10),
                        "partNumber 2 overlaps the previous part (offset 5)"));
    BOOST_TEST(mentions(refusal({op(0, 4), op(5, 5)}, 10), "no operation sends bytes [4, 5)"));
    BOOST_TEST(mentions(refusal({op(0, 5)}, 10), "no operation sends bytes [5, 10)"));
}
