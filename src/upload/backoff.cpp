#include <ascpp/upload/backoff.hpp>

#include "../detail/backoff.hpp"

namespace ascpp::upload {

std::chrono::milliseconds backoff_delay(const retry_options& r, unsigned attempt,
                                        std::mt19937_64& rng) {
    return detail::backoff_delay({r.initial_delay, r.multiplier, r.max_delay}, attempt, rng);
}

} // namespace ascpp::upload
