#include "duration.hpp"

#include "exit_code.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>

namespace ascpp::cli {

namespace {

struct unit {
    std::string_view suffix;
    std::int64_t millis;
};

// Longest suffix first where one is a prefix of another ("ms" before "m").
constexpr std::array<unit, 4> units{{{"h", 3'600'000}, {"ms", 1}, {"m", 60'000}, {"s", 1'000}}};

// Rank of each unit in the required order h > m > s > ms.
int rank_of(std::string_view suffix) {
    if (suffix == "h")
        return 0;
    if (suffix == "m")
        return 1;
    if (suffix == "s")
        return 2;
    return 3;
}

[[noreturn]] void bad(std::string_view text, std::string_view what) {
    throw usage_error(std::string(what) + ": '" + std::string(text) +
                      "' is not a duration (examples: 90s, 5m, 1h30m, 500ms)");
}

} // namespace

std::chrono::milliseconds parse_duration(std::string_view text, std::string_view what) {
    if (text.empty())
        bad(text, what);
    const auto max = std::numeric_limits<std::int64_t>::max();

    std::int64_t bare = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bare);
    if (ec == std::errc{} && end == text.data() + text.size()) {
        if (bare < 0 || bare > max / 1000)
            bad(text, what);
        return std::chrono::milliseconds(bare * 1000);
    }

    std::int64_t total = 0;
    int last_rank = -1;
    std::string_view rest = text;
    while (!rest.empty()) {
        std::int64_t value = 0;
        auto [p, err] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
        if (err != std::errc{} || p == rest.data() || value < 0)
            bad(text, what);
        rest.remove_prefix(static_cast<std::size_t>(p - rest.data()));

        const unit* matched = nullptr;
        for (const auto& u : units) {
            if (rest.starts_with(u.suffix)) {
                matched = &u;
                break;
            }
        }
        if (!matched)
            bad(text, what);
        rest.remove_prefix(matched->suffix.size());

        int rank = rank_of(matched->suffix);
        if (rank <= last_rank)
            bad(text, what); // out of order or repeated: "30m1h", "5m5m"
        last_rank = rank;

        if (value > (max - total) / matched->millis)
            bad(text, what);
        total += value * matched->millis;
    }
    return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
    auto ms = d.count();
    if (ms < 0)
        return "-" + format_duration(std::chrono::milliseconds(-ms));
    if (ms < 60'000) {
        // Seconds with at most one decimal, trailing ".0" dropped.
        auto tenths = (ms + 50) / 100;
        std::string s = std::to_string(tenths / 10);
        if (tenths % 10 != 0)
            s += "." + std::to_string(tenths % 10);
        return s + "s";
    }
    auto total_s = (ms + 500) / 1000;
    auto h = total_s / 3600;
    auto m = (total_s % 3600) / 60;
    auto s = total_s % 60;
    std::string out;
    if (h)
        out += std::to_string(h) + "h";
    if (m)
        out += std::to_string(m) + "m";
    if (s)
        out += std::to_string(s) + "s";
    return out;
}

} // namespace ascpp::cli
