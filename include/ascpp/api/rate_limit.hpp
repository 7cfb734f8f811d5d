// The X-Rate-Limit header: `user-hour-lim:3500;user-hour-rem:500;` (semicolon-separated
// key:value pairs; other pairs such as user-minute-* are kept too).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ascpp::api {

struct rate_limit {
    std::optional<std::int64_t> hour_limit;     // user-hour-lim: requests per rolling hour
    std::optional<std::int64_t> hour_remaining; // user-hour-rem: what is left of it
    std::map<std::string, std::string, std::less<>> pairs; // every pair, as sent

    // "1234 of 3600 requests left this hour" (or what is known of it).
    std::string to_string() const;
    friend bool operator==(const rate_limit&, const rate_limit&) = default;
};

// nullopt when the header holds no key:value pair. Malformed pairs are skipped.
std::optional<rate_limit> parse_rate_limit(std::string_view header);

// What the client knows of its budget (client::rate_limit_status()).
struct rate_limit_status {
    std::optional<api::rate_limit> last;              // from the latest response that had one
    std::chrono::system_clock::time_point observed{}; // when `last` arrived
    std::uint64_t sent_since_observed = 0;            // requests sent after it
    // Of the requests counted in `last`, this client's own that have left the window since
    // (client_config::rate_limit_window after they were sent): room again.
    std::uint64_t freed_since_observed = 0;
    std::chrono::milliseconds window{3'600'000}; // client_config::rate_limit_window
    // What the client may still send now without the window being full by its count (when
    // `last` has user-hour-rem).
    std::optional<std::int64_t> available() const {
        if (!last || !last->hour_remaining)
            return std::nullopt;
        return *last->hour_remaining - static_cast<std::int64_t>(sent_since_observed) +
               static_cast<std::int64_t>(freed_since_observed);
    }
    std::uint64_t throttled = 0;    // times the client-side limiter made a request wait
    std::uint64_t rate_limited = 0; // 429 responses received
};

} // namespace ascpp::api
