#include "duration.hpp"
#include "exit_code.hpp"

#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
using ascpp::cli::format_duration;
using ascpp::cli::parse_duration;
using ascpp::cli::usage_error;

BOOST_AUTO_TEST_SUITE(duration)

BOOST_AUTO_TEST_CASE(accepts_the_forms_people_type) {
    BOOST_TEST(parse_duration("90s", "--timeout").count() == (90s).count() * 1000);
    BOOST_TEST(parse_duration("5m", "--timeout") == std::chrono::milliseconds(5min));
    BOOST_TEST(parse_duration("1h30m", "--timeout") == std::chrono::milliseconds(90min));
    BOOST_TEST(parse_duration("2m30s", "--timeout") == std::chrono::milliseconds(150s));
    BOOST_TEST(parse_duration("1h2m3s4ms", "--timeout").count() == 3'723'004);
    BOOST_TEST(parse_duration("250ms", "--timeout").count() == 250);
    BOOST_TEST(parse_duration("45", "--timeout") == std::chrono::milliseconds(45s));
    BOOST_TEST(parse_duration("0s", "--timeout").count() == 0);
}

BOOST_AUTO_TEST_CASE(rejects_what_is_not_a_duration) {
    for (const char* bad :
         {"", "s", "5", "5x", "m5", "-5s", "-5", "1.5h", "30m1h", "5m5m", "1h 30m", "5 s", "ms",
          "1hh", "99999999999999999999s", "9223372036854775807h"}) {
        if (std::string_view(bad) == "5")
            continue; // a bare number is seconds
        BOOST_TEST_CONTEXT("input '" << bad << "'") {
            BOOST_CHECK_THROW(parse_duration(bad, "--timeout"), usage_error);
        }
    }
}

BOOST_AUTO_TEST_CASE(error_names_the_option_and_shows_examples) {
    try {
        parse_duration("soon", "--timeout");
        BOOST_FAIL("no exception");
    } catch (const usage_error& e) {
        std::string what = e.what();
        BOOST_TEST(what.find("--timeout") != std::string::npos);
        BOOST_TEST(what.find("'soon'") != std::string::npos);
        BOOST_TEST(what.find("1h30m") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(formats_for_messages) {
    BOOST_TEST(format_duration(0ms) == "0s");
    BOOST_TEST(format_duration(1500ms) == "1.5s");
    BOOST_TEST(format_duration(12'000ms) == "12s");
    BOOST_TEST(format_duration(90min) == "1h30m");
    BOOST_TEST(format_duration(std::chrono::milliseconds(3'723'000)) == "1h2m3s");
    BOOST_TEST(format_duration(5min) == "5m");
}

BOOST_AUTO_TEST_CASE(formatting_round_trips_through_parsing) {
    for (auto d : {1s, 59s, 60s, 61s, 3600s, 3661s, 86400s}) {
        auto ms = std::chrono::milliseconds(d);
        BOOST_TEST(parse_duration(format_duration(ms), "x") == ms);
    }
}

BOOST_AUTO_TEST_SUITE_END()
