// What a state watcher's look means for a watch, without I/O: the target was reached, a final
// state that is not a target ended it, or it goes on waiting.
#pragma once

#include <ascpp/workflow/state_watcher.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ascpp::workflow::detail {

enum class watch_kind { upload_file, version, release_of_version, release_by_id };

// Whether a resource of `kind` never leaves `state` (a release's finality depends on its channel:
// an internal beta release is never REJECTED for good).
bool is_final(watch_kind kind, release_channel channel, std::string_view state);

enum class watch_verdict {
    waiting,        // not in a target or final state (or not known yet): look again later
    reached,        // in one of the targets
    unreachable,    // in a final state that is not a target
    version_failed, // a release_of_version watch whose version FAILED: no release will come
};

// `state` is the watched state (a release's state for release_of_version watches), empty when it
// is not known yet; `version_state` is the version's own state, which only release_of_version
// watches look at.
watch_verdict judge_watch(watch_kind kind, release_channel channel,
                          const std::vector<std::string>& targets, std::string_view state,
                          std::string_view version_state = {});

} // namespace ascpp::workflow::detail
