#include <ascpp/api/rate_limit.hpp>

#include <charconv>

namespace ascpp::api {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::optional<std::int64_t> to_int(std::string_view s) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v < 0)
        return std::nullopt;
    return v;
}

} // namespace

std::optional<rate_limit> parse_rate_limit(std::string_view header) {
    rate_limit out;
    // Bounded: a hostile header cannot make us keep more than a handful of pairs.
    constexpr std::size_t max_pairs = 32;
    while (!header.empty() && out.pairs.size() < max_pairs) {
        auto end = header.find(';');
        auto pair = trim(header.substr(0, end));
        header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
        auto colon = pair.find(':');
        if (colon == std::string_view::npos)
            continue;
        auto key = trim(pair.substr(0, colon));
        auto value = trim(pair.substr(colon + 1));
        if (key.empty() || key.size() > 64 || value.size() > 64)
            continue;
        out.pairs.emplace(std::string(key), std::string(value));
        if (key == "user-hour-lim")
            out.hour_limit = to_int(value);
        else if (key == "user-hour-rem")
            out.hour_remaining = to_int(value);
    }
    if (out.pairs.empty())
        return std::nullopt;
    return out;
}

std::string rate_limit::to_string() const {
    if (hour_limit && hour_remaining)
        return std::to_string(*hour_remaining) + " of " + std::to_string(*hour_limit) +
               " requests left this hour";
    if (hour_remaining)
        return std::to_string(*hour_remaining) + " requests left this hour";
    if (hour_limit)
        return "limit " + std::to_string(*hour_limit) + " requests per hour";
    std::string out;
    for (const auto& [k, v] : pairs) {
        if (!out.empty())
            out += ", ";
        out += k + ": " + v;
    }
    return out;
}

} // namespace ascpp::api
