// How often and how far apart the upload engine sends a part again (upload::backoff_delay
// computes the waits).
#pragma once

#include <chrono>

namespace ascpp::upload {

struct retry_options {
    unsigned max_attempts = 6; // sends of one part, the first included
    std::chrono::milliseconds initial_delay{250};
    double multiplier = 2.0;
    std::chrono::milliseconds max_delay{20'000};
    // Times one part may ask for fresh operations after a 403 (expired URL).
    unsigned max_url_refreshes = 3;
};

} // namespace ascpp::upload
