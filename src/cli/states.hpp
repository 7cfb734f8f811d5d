// The state enumerations of the spec that commands accept as --state values and wait for, and
// the release channels. Values the service adds later still print and compare as strings; these
// lists only validate what a user types.
#pragma once

#include <ascpp/api/enums.hpp>
#include <ascpp/workflow/state_watcher.hpp>

#include <string_view>
#include <vector>

namespace ascpp::cli {

// The library's channels; the command line spells them internal-beta, external-beta, app-store.
using workflow::release_channel;
std::string_view channel_name(release_channel c);

template <class Enum>
std::vector<std::string_view> known(const Enum& values) {
    return {values.begin(), values.end()};
}

inline const std::vector<std::string_view> version_states =
    known(api::background_asset_version_state::known_values);
inline const std::vector<std::string_view> upload_file_states =
    known(api::delivery_state::known_values);
inline const std::vector<std::string_view> internal_beta_release_states =
    known(api::internal_beta_release_state::known_values);
inline const std::vector<std::string_view> external_beta_release_states =
    known(api::external_beta_release_state::known_values);
inline const std::vector<std::string_view> app_store_release_states =
    known(api::app_store_release_state::known_values);
// Every release state of any channel (validated per channel once the channel is known).
inline const std::vector<std::string_view> all_release_states =
    known(api::release_state::known_values);

inline const std::vector<std::string_view>& release_states(release_channel c) {
    switch (c) {
    case release_channel::external_beta:
        return external_beta_release_states;
    case release_channel::app_store:
        return app_store_release_states;
    default:
        return internal_beta_release_states;
    }
}

// The state a release must reach to be usable by that audience.
inline std::string_view release_ready_state(release_channel c) {
    return c == release_channel::app_store ? api::app_store_release_state::ready_for_distribution
                                           : api::internal_beta_release_state::ready_for_testing;
}

} // namespace ascpp::cli
