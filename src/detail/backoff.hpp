// The one retry backoff of the library (the API client's retries, the upload engine's part
// retries, publish's reconcile rounds): capped exponential growth with "equal jitter".
//
// Wait number n (1-based) is half of min(max_delay, initial_delay * multiplier^(n-1)) plus a
// uniformly random part of the other half. Failures that happened together do not retry
// together, and no retry is immediate (full jitter can draw 0 ms, which against a struggling
// server is a retry storm).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>

namespace ascpp::detail {

struct backoff_schedule {
    std::chrono::milliseconds initial_delay{500};
    double multiplier = 2.0;
    std::chrono::milliseconds max_delay{30'000};
};

// The cap of wait number `attempt` (1-based; 0 counts as 1): the growth without jitter. A
// multiplier below 1 (or NaN) counts as 1, so the waits never shrink.
inline std::chrono::milliseconds backoff_ceiling(const backoff_schedule& s, unsigned attempt) {
    const double cap = static_cast<double>(std::max<std::int64_t>(s.max_delay.count(), 0));
    const double m = s.multiplier >= 1.0 ? s.multiplier : 1.0;
    double ceiling = static_cast<double>(std::max<std::int64_t>(s.initial_delay.count(), 0));
    for (unsigned i = 1; i < attempt && ceiling < cap; ++i)
        ceiling *= m;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ceiling, cap)));
}

// Wait number `attempt`: in [ceiling / 2, ceiling].
inline std::chrono::milliseconds backoff_delay(const backoff_schedule& s, unsigned attempt,
                                               std::mt19937_64& rng) {
    const double half = static_cast<double>(backoff_ceiling(s, attempt).count()) / 2;
    std::uniform_real_distribution<double> jitter(0.0, half);
    return std::chrono::milliseconds(static_cast<std::int64_t>(half + jitter(rng)));
}

} // namespace ascpp::detail
