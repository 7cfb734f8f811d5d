// Where the ascpp command finds its App Store Connect credentials and service: flags first, then
// the environment, with the names the other App Store Connect tools use.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ascpp::cli {

inline constexpr std::string_view default_api_url = "https://api.appstoreconnect.apple.com";

// What the flags said; unset members fall back to the environment.
struct config_flags {
    std::optional<std::string> key_id;           // --key-id
    std::optional<std::string> issuer_id;        // --issuer-id
    std::optional<std::string> private_key_path; // --private-key
    std::optional<std::string> api_url;          // --api-url
    std::optional<std::string> ca_file;          // --ca-file
};

// Reads one environment variable; empty values count as unset.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;
env_lookup process_environment();

struct config {
    std::string key_id;
    std::optional<std::string> issuer_id; // absent for an individual key
    std::string private_key_pem;          // never printed or logged
    std::string private_key_origin;       // e.g. "--private-key /path/AuthKey.p8", for messages
    std::string api_url;
    std::optional<std::filesystem::path> ca_file;

    // A one-line description for --verbose that holds nothing secret.
    std::string describe() const;
};

// Resolves every setting, reading the private key file. Throws usage_error naming the flag and
// the variable of the first setting that is missing, unreadable or malformed.
config resolve_config(const config_flags& flags, const env_lookup& env);

} // namespace ascpp::cli
