#include <ascpp/upload/backoff.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace ascpp::upload {

std::chrono::milliseconds backoff_delay(const retry_options& r, unsigned attempt,
                                        std::mt19937_64& rng) {
    double ceiling = static_cast<double>(r.initial_delay.count()) *
                     std::pow(r.multiplier, static_cast<double>(attempt > 0 ? attempt - 1 : 0));
    ceiling = std::min(ceiling, static_cast<double>(r.max_delay.count()));
    double half = ceiling / 2;
    std::uniform_real_distribution<double> jitter(0.0, half);
    return std::chrono::milliseconds(static_cast<std::int64_t>(half + jitter(rng)));
}

} // namespace ascpp::upload
