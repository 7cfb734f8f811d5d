// The examples read their API settings from the variables the ascpp CLI reads, so each runs
// unchanged against Apple or against the simulator (run_against_simulator sets them):
//   ASC_KEY_ID, ASC_ISSUER_ID (absent for an individual key), ASC_PRIVATE_KEY_PATH (the .p8),
//   ASC_API_URL (default: Apple's), ASC_CA_FILE (an extra CA to trust, e.g. the simulator's).
#pragma once

#include <ascpp/api/client.hpp>

#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

namespace example {

inline std::optional<std::string> env(const char* name) {
    const char* value = std::getenv(name);
    return value && *value ? std::optional<std::string>(value) : std::nullopt;
}

inline std::string required_env(const char* name) {
    if (auto value = env(name))
        return *value;
    throw std::runtime_error(std::string(name) + " is not set");
}

inline ascpp::api::client_config client_config_from_environment() {
    ascpp::api::client_config config;
    config.key_id = required_env("ASC_KEY_ID");
    config.issuer_id = env("ASC_ISSUER_ID");
    config.private_key_file = required_env("ASC_PRIVATE_KEY_PATH");
    if (auto url = env("ASC_API_URL"))
        config.base_url = *url;
    if (auto ca = env("ASC_CA_FILE"))
        config.ca_file = *ca;
    return config;
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
