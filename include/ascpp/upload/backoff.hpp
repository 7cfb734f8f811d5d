// The upload engine's waits between sends of a part: the library's one backoff
// (src/detail/backoff.hpp, shared with api::retry_policy) with retry_options' numbers.
#pragma once

#include <ascpp/upload/retry_options.hpp>

#include <chrono>
#include <random>

namespace ascpp::upload {

// The wait before retry number `attempt` (1 = first retry): half of
// min(max_delay, initial_delay * multiplier^(attempt-1)) plus a uniformly random part of the
// other half, so parts that failed together do not retry together, and no retry is immediate.
std::chrono::milliseconds backoff_delay(const retry_options& r, unsigned attempt,
                                        std::mt19937_64& rng);

} // namespace ascpp::upload
