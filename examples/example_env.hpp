// The examples read their API settings from the variables the ascpp CLI reads, so each runs
// unchanged against Apple or against the simulator (run_against_simulator sets them):
//   ASC_KEY_ID, ASC_ISSUER_ID (absent for an individual key), ASC_PRIVATE_KEY_PATH (the .p8) or
//   ASC_PRIVATE_KEY (the PEM), ASC_API_URL (default: Apple's), ASC_CA_FILE (an extra CA to
//   trust, e.g. the simulator's).
#pragma once

#include <ascpp/api/environment.hpp>

#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

namespace example {

// The library reads the same variables as the command (and ASC_PRIVATE_KEY, the PEM itself).
inline ascpp::api::client_config client_config_from_environment() {
    return ascpp::api::client_config::from_environment();
}

// What a callback's exception_ptr says (every ascpp error is a std::exception).
inline std::string message(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown error";
    }
}

} // namespace example
