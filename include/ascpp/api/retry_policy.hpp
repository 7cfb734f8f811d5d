// When and how the API client retries.
#pragma once

#include <chrono>
#include <cstdint>

namespace ascpp::api {

// Capped exponential backoff with jitter, the same as the upload engine's: retry n (1-based)
// waits half of min(max_delay, initial_delay * multiplier^(n-1)) plus a uniformly random part of
// the other half, or Retry-After when the server sent one (capped by max_retry_after).
//
// What is retried:
//  - GET and PATCH (idempotent here: PATCH sets attributes to given values) on 408, 5xx, 429
//    and transient transport failures (http::is_transient);
//  - POST only when the request provably did not take effect: 429, or the connection failed
//    before anything was sent (the name did not resolve, the connect failed). Never on 408, 5xx
//    or a lost response.
struct retry_policy {
    unsigned max_attempts = 5; // total attempts, including the first; 1 disables retries
    std::chrono::milliseconds initial_delay{500};
    double multiplier = 2.0;
    std::chrono::milliseconds max_delay{30'000};
    std::chrono::milliseconds max_retry_after{120'000};
    bool retry_server_errors = true; // 408 and 5xx on GET/PATCH
    bool retry_rate_limited = true;  // 429
    bool retry_connection_errors = true;
};

} // namespace ascpp::api
