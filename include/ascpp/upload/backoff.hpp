// Per-part retry policy of the upload engine: capped exponential backoff with jitter.
#pragma once

#include <chrono>
#include <random>

namespace ascpp::upload {

struct retry_options {
    unsigned max_attempts = 6; // sends of one part, the first included
    std::chrono::milliseconds initial_delay{250};
    double multiplier = 2.0;
    std::chrono::milliseconds max_delay{20'000};
    // Times one part may ask for fresh operations after a 403 (expired URL).
    unsigned max_url_refreshes = 3;
};

// The wait before retry number `attempt` (1 = first retry): half of
// min(max_delay, initial_delay * multiplier^(attempt-1)) plus a uniformly random part of the
// other half, so parts that failed together do not retry together, and no retry is immediate.
std::chrono::milliseconds backoff_delay(const retry_options& r, unsigned attempt,
                                        std::mt19937_64& rng);

} // namespace ascpp::upload
