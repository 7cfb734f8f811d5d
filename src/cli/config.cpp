#include "config.hpp"

#include "command_line.hpp"
#include "exit_code.hpp"

namespace ascpp::cli {

config resolve_config(const config_flags& flags, const env_lookup& env) {
    static const api::override_names names{"--key-id", "--issuer-id", "--private-key", "--api-url",
                                           "--ca-file"};
    try {
        return api::resolve_client_config(flags, env, names);
    } catch (const api::config_error& e) {
        throw usage_error(e.what());
    }
}

api::client_config client_config_from(const config& cfg) {
    api::client_config cc;
    try {
        cc = cfg.to_client_config();
    } catch (const api::config_error& e) {
        throw usage_error(e.what());
    }
    cc.user_agent = "ascpp-cli/" + version_text().substr(6, version_text().find(' ', 6) - 6);
    return cc;
}

} // namespace ascpp::cli
