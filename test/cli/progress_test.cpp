#include "progress.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace ascpp::cli;
using namespace std::chrono_literals;

namespace {

// A clock the test moves by hand.
struct manual_clock {
    progress_clock::time_point t{};
    std::function<progress_clock::time_point()> fn() {
        return [this] { return t; };
    }
};

std::size_t count(const std::string& s, std::string_view needle) {
    std::size_t n = 0;
    for (auto p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1))
        ++n;
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(progress)

BOOST_AUTO_TEST_CASE(mode_follows_quiet_and_terminal) {
    BOOST_TEST((choose_progress_mode(true, true) == progress_mode::quiet));
    BOOST_TEST((choose_progress_mode(false, true) == progress_mode::bars));
    BOOST_TEST((choose_progress_mode(false, false) == progress_mode::lines));
}

BOOST_AUTO_TEST_CASE(rate_and_eta) {
    BOOST_TEST(format_rate(std::nullopt) == "-");
    BOOST_TEST(format_rate(1536.0) == "1.50 KiB/s");
    BOOST_TEST(format_rate(85.3 * 1024 * 1024) == "85.3 MiB/s");
    BOOST_TEST(format_eta(100, std::nullopt) == "ETA --");
    BOOST_TEST(format_eta(0, std::nullopt) == "ETA 0s");
    BOOST_TEST(format_eta(10 << 20, double(1 << 20)) == "ETA 10s");
    BOOST_TEST(format_eta(65ull << 20, double(1 << 20)) == "ETA 1m5s");
    BOOST_TEST(format_eta(1ull << 50, 1.0) == "ETA --"); // absurdly far away
}

BOOST_AUTO_TEST_CASE(rate_meter_uses_a_sliding_window) {
    rate_meter m(2s);
    progress_clock::time_point t{};
    m.add(t, 0);
    BOOST_TEST(!m.bytes_per_second().has_value());
    // 10 MiB/s for 4 s, then 1 MiB/s for 3 s: the window sees only the slow part.
    for (int i = 1; i <= 4; ++i)
        m.add(t + std::chrono::seconds(i), std::uint64_t(i) * (10 << 20));
    BOOST_TEST(*m.bytes_per_second() == double(10 << 20));
    for (int i = 1; i <= 3; ++i)
        m.add(t + std::chrono::seconds(4 + i), (40ull << 20) + std::uint64_t(i) * (1 << 20));
    BOOST_TEST(*m.bytes_per_second() == double(1 << 20));
}

BOOST_AUTO_TEST_CASE(bars) {
    BOOST_TEST(render_bar(0.0, 12) == "[----------]");
    BOOST_TEST(render_bar(0.5, 12) == "[#####-----]");
    BOOST_TEST(render_bar(1.0, 12) == "[##########]");
    BOOST_TEST(render_bar(7.0, 4) == "[##]");
}

BOOST_AUTO_TEST_CASE(progress_line_fits_its_width) {
    file_progress p{"Pack.aar", 150ull << 20, 300ull << 20, 30, 60};
    auto line = render_progress_line(p, double(50 << 20), 100, 10);
    BOOST_TEST(line.size() <= 99u);
    BOOST_TEST(line.starts_with("Pack.aar    ["));
    BOOST_TEST(line.find(" 50%  150 MiB / 300 MiB  50.0 MiB/s  ETA 3s") != std::string::npos);

    // Narrow terminals drop the bar, then cut the line; long names keep their end.
    auto narrow = render_progress_line(p, double(50 << 20), 40, 10);
    BOOST_TEST(narrow.size() <= 39u);
    BOOST_TEST(narrow.find('[') == std::string::npos);
    file_progress long_name{"a-very-long-asset-pack-name.aar", 1, 2, 0, 1};
    BOOST_TEST(render_progress_line(long_name, std::nullopt, 80, 12).starts_with("...-name.aar"));

    file_progress done{"Pack.aar", 300ull << 20, 300ull << 20, 60, 60};
    BOOST_TEST(render_progress_line(done, std::nullopt, 100, 10).find("100%") != std::string::npos);
    BOOST_TEST(render_progress_line(done, std::nullopt, 100, 10).ends_with("done"));
}

BOOST_AUTO_TEST_CASE(quiet_prints_nothing) {
    std::ostringstream err;
    manual_clock clock;
    progress_reporter r(err, progress_mode::quiet, 80, clock.fn());
    r.update("a", {"Pack.aar", 1, 10, 0, 1});
    r.state("version 1: PROCESSING");
    r.message("retrying");
    r.finish();
    BOOST_TEST(err.str().empty());
}

BOOST_AUTO_TEST_CASE(lines_mode_prints_deciles_and_states_once) {
    std::ostringstream err;
    manual_clock clock;
    progress_reporter r(err, progress_mode::lines, 80, clock.fn());
    const std::uint64_t total = 100ull << 20;
    for (int i = 0; i <= 100; ++i) {
        clock.t += 100ms;
        r.update("asset", {"Pack.aar", total * std::uint64_t(i) / 100, total, 0, 20});
    }
    r.state("version 1: PROCESSING");
    r.state("version 1: PROCESSING");
    r.tick();
    r.state("version 1: COMPLETE");
    r.finish();
    auto s = err.str();
    BOOST_TEST(s.find("\x1b") == std::string::npos); // no terminal control in logs
    BOOST_TEST(count(s, "Pack.aar: uploading 100 MiB in 20 parts\n") == 1u);
    for (int d = 10; d <= 90; d += 10)
        BOOST_TEST(count(s, "Pack.aar: " + std::to_string(d) + "% (") == 1u);
    BOOST_TEST(count(s, "Pack.aar: uploaded 100 MiB in 10s (10.0 MiB/s)") == 1u);
    BOOST_TEST(count(s, "version 1: PROCESSING\n") == 1u);
    BOOST_TEST(count(s, "version 1: COMPLETE\n") == 1u);
}

BOOST_AUTO_TEST_CASE(bars_mode_redraws_in_place_with_a_total) {
    std::ostringstream err;
    manual_clock clock;
    progress_reporter r(err, progress_mode::bars, 100, clock.fn());
    r.update("m", {"Manifest.json", 0, 1000, 0, 1});
    clock.t += 1s;
    r.update("a", {"Pack.aar", 0, 1ull << 20, 0, 1});
    clock.t += 1s;
    r.update("m", {"Manifest.json", 1000, 1000, 1, 1});
    clock.t += 1s;
    r.update("a", {"Pack.aar", 1ull << 19, 1ull << 20, 0, 1});
    auto s = err.str();
    BOOST_TEST(s.find("\x1b[3A") != std::string::npos); // moved back over its 3 lines
    BOOST_TEST(s.find("total") != std::string::npos);
    BOOST_TEST(s.find("Manifest.json") != std::string::npos);

    // Updates closer together than the redraw interval are coalesced.
    auto before = err.str().size();
    clock.t += 10ms;
    r.update("a", {"Pack.aar", (1ull << 19) + 10, 1ull << 20, 0, 1});
    BOOST_TEST(err.str().size() == before);

    r.state("version 1: PROCESSING");
    clock.t += 12s;
    r.tick();
    BOOST_TEST(err.str().find("version 1: PROCESSING  (12s)") != std::string::npos);
    r.finish();
    before = err.str().size();
    r.update("a", {"Pack.aar", 1ull << 20, 1ull << 20, 1, 1});
    BOOST_TEST(err.str().size() == before); // nothing after finish
}

BOOST_AUTO_TEST_CASE(messages_do_not_tear_the_bars) {
    std::ostringstream err;
    manual_clock clock;
    progress_reporter r(err, progress_mode::bars, 80, clock.fn());
    r.update("a", {"Pack.aar", 10, 100, 0, 1});
    r.message("part 3: retrying after HTTP 503");
    auto s = err.str();
    auto msg = s.find("part 3: retrying after HTTP 503\n");
    BOOST_REQUIRE(msg != std::string::npos);
    // The bar is cleared before the message and drawn again after it.
    BOOST_TEST(s.rfind("\x1b[K", msg) != std::string::npos);
    BOOST_TEST(s.find("Pack.aar", msg) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
