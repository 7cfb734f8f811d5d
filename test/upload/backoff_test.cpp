// The library's one backoff (src/detail/backoff.hpp), and the upload engine's use of it.
#include <boost/test/unit_test.hpp>

#include "detail/backoff.hpp"

#include <ascpp/upload/backoff.hpp>

using namespace std::chrono_literals;
namespace upload = ascpp::upload;
namespace detail = ascpp::detail;

BOOST_AUTO_TEST_CASE(the_ceiling_grows_by_the_multiplier_up_to_the_cap) {
    detail::backoff_schedule s{100ms, 2.0, 1000ms};
    BOOST_TEST(detail::backoff_ceiling(s, 0).count() == 100);
    BOOST_TEST(detail::backoff_ceiling(s, 1).count() == 100);
    BOOST_TEST(detail::backoff_ceiling(s, 2).count() == 200);
    BOOST_TEST(detail::backoff_ceiling(s, 4).count() == 800);
    BOOST_TEST(detail::backoff_ceiling(s, 5).count() == 1000);
    // A huge attempt number neither overflows nor loops long.
    BOOST_TEST(detail::backoff_ceiling(s, 4'000'000'000u).count() == 1000);
}

BOOST_AUTO_TEST_CASE(nonsense_numbers_give_waits_that_never_shrink_or_go_negative) {
    BOOST_TEST(detail::backoff_ceiling({100ms, 0.5, 1000ms}, 5).count() == 100);
    BOOST_TEST(detail::backoff_ceiling({100ms, std::nan(""), 1000ms}, 5).count() == 100);
    BOOST_TEST(detail::backoff_ceiling({-5ms, 2.0, 1000ms}, 3).count() == 0);
    BOOST_TEST(detail::backoff_ceiling({100ms, 2.0, -1ms}, 3).count() == 0);
}

BOOST_AUTO_TEST_CASE(each_wait_is_half_to_all_of_its_ceiling) {
    std::mt19937_64 rng(42);
    detail::backoff_schedule s{100ms, 2.0, 1000ms};
    for (unsigned attempt = 1; attempt <= 6; ++attempt) {
        const auto ceiling = detail::backoff_ceiling(s, attempt);
        auto low = ceiling, high = 0ms;
        for (int i = 0; i < 2000; ++i) {
            const auto d = detail::backoff_delay(s, attempt, rng);
            BOOST_TEST_REQUIRE(d >= ceiling / 2);
            BOOST_TEST_REQUIRE(d <= ceiling);
            low = std::min(low, d);
            high = std::max(high, d);
        }
        // Jittered: the draws spread over the range rather than sitting at one point.
        BOOST_TEST((high - low) > ceiling / 4);
    }
}

BOOST_AUTO_TEST_CASE(the_upload_engine_uses_the_same_formula) {
    upload::retry_options r;
    r.initial_delay = 250ms;
    r.multiplier = 3.0;
    r.max_delay = 5000ms;
    std::mt19937_64 a(7), b(7);
    for (unsigned attempt = 1; attempt <= 8; ++attempt)
        BOOST_TEST(upload::backoff_delay(r, attempt, a).count() ==
                   detail::backoff_delay({250ms, 3.0, 5000ms}, attempt, b).count());
}
