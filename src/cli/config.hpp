// Where the ascpp command finds its App Store Connect credentials and service: flags first, then
// the environment, with the names the other App Store Connect tools use. The resolution is the
// library's (api::resolve_client_config); this names the flags in its messages.
#pragma once

#include <ascpp/api/environment.hpp>

namespace ascpp::cli {

using api::default_api_url;
using api::env_lookup;
using api::process_environment;

// What the flags said (--key-id, --issuer-id, --private-key, --api-url, --ca-file); unset
// members fall back to the environment.
using config_flags = api::config_overrides;
using config = api::resolved_config;

// Resolves every setting, reading the private key file. Throws usage_error naming the flag and
// the variable of the first setting that is missing, unreadable or malformed.
config resolve_config(const config_flags& flags, const env_lookup& env);

// The client configuration of `cfg`; throws usage_error for a key that does not parse.
api::client_config client_config_from(const config& cfg);

} // namespace ascpp::cli
