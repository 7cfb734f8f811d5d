// The state enumerations of the spec that commands accept as --state values and wait for, and
// the release channels. Values the service adds later still print and compare as strings; these
// lists only validate what a user types.
#pragma once

#include <string_view>
#include <vector>

namespace ascpp::cli {

enum class release_channel { internal_beta, external_beta, app_store };
std::string_view to_string(release_channel c);

// BackgroundAssetVersionState
inline const std::vector<std::string_view> version_states{"AWAITING_UPLOAD", "PROCESSING", "FAILED",
                                                          "COMPLETE"};
// AppMediaAssetState.state
inline const std::vector<std::string_view> upload_file_states{"AWAITING_UPLOAD", "UPLOAD_COMPLETE",
                                                              "COMPLETE", "FAILED"};
inline const std::vector<std::string_view> internal_beta_release_states{"READY_FOR_TESTING",
                                                                        "SUPERSEDED"};
// BackgroundAssetVersionExternalBetaReleaseState
inline const std::vector<std::string_view> external_beta_release_states{
    "READY_FOR_BETA_SUBMISSION", "WAITING_FOR_REVIEW", "IN_REVIEW", "REJECTED",
    "PROCESSING_FOR_TESTING",    "READY_FOR_TESTING",  "SUPERSEDED"};
// BackgroundAssetVersionAppStoreReleaseState
inline const std::vector<std::string_view> app_store_release_states{"PREPARE_FOR_SUBMISSION",
                                                                    "READY_FOR_REVIEW",
                                                                    "WAITING_FOR_REVIEW",
                                                                    "IN_REVIEW",
                                                                    "ACCEPTED",
                                                                    "REJECTED",
                                                                    "PROCESSING_FOR_DISTRIBUTION",
                                                                    "READY_FOR_DISTRIBUTION",
                                                                    "SUPERSEDED"};
// Every release state of any channel (validated per channel once the channel is known).
inline const std::vector<std::string_view> all_release_states{
    "READY_FOR_TESTING", "SUPERSEDED", "READY_FOR_BETA_SUBMISSION",   "WAITING_FOR_REVIEW",
    "IN_REVIEW",         "REJECTED",   "PROCESSING_FOR_TESTING",      "PREPARE_FOR_SUBMISSION",
    "READY_FOR_REVIEW",  "ACCEPTED",   "PROCESSING_FOR_DISTRIBUTION", "READY_FOR_DISTRIBUTION"};

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
    return c == release_channel::app_store ? "READY_FOR_DISTRIBUTION" : "READY_FOR_TESTING";
}

} // namespace ascpp::cli
