#include "watch_verdict.hpp"

#include <ascpp/api/enums.hpp>

#include <algorithm>

namespace ascpp::workflow::detail {

bool is_final(watch_kind kind, release_channel channel, std::string_view s) {
    switch (kind) {
    case watch_kind::upload_file:
        return s == api::delivery_state::complete || s == api::delivery_state::failed;
    case watch_kind::version:
        return s == api::background_asset_version_state::complete ||
               s == api::background_asset_version_state::failed;
    case watch_kind::release_of_version:
    case watch_kind::release_by_id:
        if (s == "SUPERSEDED")
            return true;
        return channel != release_channel::internal_beta && s == "REJECTED";
    }
    return false;
}

watch_verdict judge_watch(watch_kind kind, release_channel channel,
                          const std::vector<std::string>& targets, std::string_view state,
                          std::string_view version_state) {
    if (!state.empty()) {
        if (std::find(targets.begin(), targets.end(), state) != targets.end())
            return watch_verdict::reached;
        if (is_final(kind, channel, state))
            return watch_verdict::unreachable;
    }
    if (kind == watch_kind::release_of_version &&
        version_state == api::background_asset_version_state::failed)
        return watch_verdict::version_failed;
    return watch_verdict::waiting;
}

} // namespace ascpp::workflow::detail
