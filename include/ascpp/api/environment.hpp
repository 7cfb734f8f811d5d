// A client_config from the environment that App Store Connect tools share (ASC_KEY_ID,
// ASC_ISSUER_ID, ASC_PRIVATE_KEY_PATH or the PEM in ASC_PRIVATE_KEY, ASC_API_URL, ASC_CA_FILE),
// with explicit values (e.g. command-line flags) taking precedence. The ascpp command resolves
// its flags with the same code.
#pragma once

#include <ascpp/api/client.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ascpp::api {

inline constexpr std::string_view default_api_url = "https://api.appstoreconnect.apple.com";

// Reads one environment variable; empty values count as unset.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;
env_lookup process_environment();

// Values given explicitly; each one that is set overrides its environment variable.
struct config_overrides {
    std::optional<std::string> key_id;           // ASC_KEY_ID
    std::optional<std::string> issuer_id;        // ASC_ISSUER_ID
    std::optional<std::string> private_key_path; // ASC_PRIVATE_KEY_PATH
    std::optional<std::string> api_url;          // ASC_API_URL
    std::optional<std::string> ca_file;          // ASC_CA_FILE
};

// How messages name the overrides (e.g. "--key-id"); empty names leave them out of messages.
struct override_names {
    std::string key_id, issuer_id, private_key_path, api_url, ca_file;
};

// A missing, unreadable or malformed setting. The message names the setting's variable (and its
// override, when named), and never contains key material.
class config_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

struct resolved_config {
    std::string key_id;
    std::optional<std::string> issuer_id; // absent for an individual key
    std::string private_key_pem;          // never printed or logged
    std::string private_key_origin;       // e.g. "ASC_PRIVATE_KEY_PATH /path/AuthKey.p8"
    std::string api_url;
    std::optional<std::filesystem::path> ca_file;

    // A one-line description, for verbose output, that holds nothing secret.
    std::string describe() const;
    // The client configuration (parses the key; throws config_error when it is not a valid one).
    client_config to_client_config() const;
};

// Resolves every setting, reading the private key file (and checking the CA file). Throws
// config_error for the first setting that is missing, unreadable or malformed.
resolved_config resolve_client_config(const config_overrides& overrides, const env_lookup& env,
                                      const override_names& names = override_names());

} // namespace ascpp::api
