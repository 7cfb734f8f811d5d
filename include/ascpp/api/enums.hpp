// The enumerations of the Background Assets spec (v4.4.1), as forward-compatible string enums.
// Compare with the constants: `if (v.attributes.state ==
// background_asset_version_state::complete)`.
#pragma once

#include <ascpp/api/string_enum.hpp>

#include <boost/json/fwd.hpp>

#include <array>
#include <string_view>

namespace ascpp::api {

// BackgroundAssetVersionState.
struct background_asset_version_state : string_enum<background_asset_version_state> {
    using string_enum::string_enum;
    static constexpr std::string_view awaiting_upload = "AWAITING_UPLOAD";
    static constexpr std::string_view processing = "PROCESSING";
    static constexpr std::string_view failed = "FAILED";
    static constexpr std::string_view complete = "COMPLETE";
    static constexpr std::array<std::string_view, 4> known_values = {awaiting_upload, processing,
                                                                     failed, complete};
};

// AppMediaAssetState.state: the delivery state of an upload file.
struct delivery_state : string_enum<delivery_state> {
    using string_enum::string_enum;
    static constexpr std::string_view awaiting_upload = "AWAITING_UPLOAD";
    static constexpr std::string_view upload_complete = "UPLOAD_COMPLETE";
    static constexpr std::string_view complete = "COMPLETE";
    static constexpr std::string_view failed = "FAILED";
    static constexpr std::array<std::string_view, 4> known_values = {
        awaiting_upload, upload_complete, complete, failed};
};

// BackgroundAssetVersionInternalBetaRelease.attributes.state (inline enum in the spec).
struct internal_beta_release_state : string_enum<internal_beta_release_state> {
    using string_enum::string_enum;
    static constexpr std::string_view ready_for_testing = "READY_FOR_TESTING";
    static constexpr std::string_view superseded = "SUPERSEDED";
    static constexpr std::array<std::string_view, 2> known_values = {ready_for_testing, superseded};
};

// BackgroundAssetVersionExternalBetaReleaseState.
struct external_beta_release_state : string_enum<external_beta_release_state> {
    using string_enum::string_enum;
    static constexpr std::string_view ready_for_beta_submission = "READY_FOR_BETA_SUBMISSION";
    static constexpr std::string_view waiting_for_review = "WAITING_FOR_REVIEW";
    static constexpr std::string_view in_review = "IN_REVIEW";
    static constexpr std::string_view rejected = "REJECTED";
    static constexpr std::string_view processing_for_testing = "PROCESSING_FOR_TESTING";
    static constexpr std::string_view ready_for_testing = "READY_FOR_TESTING";
    static constexpr std::string_view superseded = "SUPERSEDED";
    static constexpr std::array<std::string_view, 7> known_values = {
        ready_for_beta_submission, waiting_for_review, in_review, rejected,
        processing_for_testing,    ready_for_testing,  superseded};
};

// BackgroundAssetVersionAppStoreReleaseState.
struct app_store_release_state : string_enum<app_store_release_state> {
    using string_enum::string_enum;
    static constexpr std::string_view prepare_for_submission = "PREPARE_FOR_SUBMISSION";
    static constexpr std::string_view ready_for_review = "READY_FOR_REVIEW";
    static constexpr std::string_view waiting_for_review = "WAITING_FOR_REVIEW";
    static constexpr std::string_view in_review = "IN_REVIEW";
    static constexpr std::string_view accepted = "ACCEPTED";
    static constexpr std::string_view rejected = "REJECTED";
    static constexpr std::string_view processing_for_distribution = "PROCESSING_FOR_DISTRIBUTION";
    static constexpr std::string_view ready_for_distribution = "READY_FOR_DISTRIBUTION";
    static constexpr std::string_view superseded = "SUPERSEDED";
    static constexpr std::array<std::string_view, 9> known_values = {prepare_for_submission,
                                                                     ready_for_review,
                                                                     waiting_for_review,
                                                                     in_review,
                                                                     accepted,
                                                                     rejected,
                                                                     processing_for_distribution,
                                                                     ready_for_distribution,
                                                                     superseded};
};

// The state of a release in any channel: every value of the three spec enums above
// (BackgroundAssetVersionInternalBetaRelease.state, ...ExternalBetaReleaseState,
// ...AppStoreReleaseState), for targets that name a state before the channel is chosen. Which
// values a channel can reach is its own state type's known_values.
struct release_state : string_enum<release_state> {
    using string_enum::string_enum;
    static constexpr std::string_view ready_for_testing = "READY_FOR_TESTING";
    static constexpr std::string_view superseded = "SUPERSEDED";
    static constexpr std::string_view ready_for_beta_submission = "READY_FOR_BETA_SUBMISSION";
    static constexpr std::string_view waiting_for_review = "WAITING_FOR_REVIEW";
    static constexpr std::string_view in_review = "IN_REVIEW";
    static constexpr std::string_view rejected = "REJECTED";
    static constexpr std::string_view processing_for_testing = "PROCESSING_FOR_TESTING";
    static constexpr std::string_view prepare_for_submission = "PREPARE_FOR_SUBMISSION";
    static constexpr std::string_view ready_for_review = "READY_FOR_REVIEW";
    static constexpr std::string_view accepted = "ACCEPTED";
    static constexpr std::string_view processing_for_distribution = "PROCESSING_FOR_DISTRIBUTION";
    static constexpr std::string_view ready_for_distribution = "READY_FOR_DISTRIBUTION";
    static constexpr std::array<std::string_view, 12> known_values = {
        ready_for_testing, superseded, ready_for_beta_submission,   waiting_for_review,
        in_review,         rejected,   processing_for_testing,      prepare_for_submission,
        ready_for_review,  accepted,   processing_for_distribution, ready_for_distribution};
};

// BackgroundAssetUploadFile.attributes.assetType.
struct asset_type : string_enum<asset_type> {
    using string_enum::string_enum;
    static constexpr std::string_view asset = "ASSET";
    static constexpr std::string_view manifest = "MANIFEST";
    static constexpr std::array<std::string_view, 2> known_values = {asset, manifest};
};

// Platform.
struct platform : string_enum<platform> {
    using string_enum::string_enum;
    static constexpr std::string_view ios = "IOS";
    static constexpr std::string_view mac_os = "MAC_OS";
    static constexpr std::string_view tv_os = "TV_OS";
    static constexpr std::string_view vision_os = "VISION_OS";
    static constexpr std::array<std::string_view, 4> known_values = {ios, mac_os, tv_os, vision_os};
};

// ChecksumAlgorithm (Checksums.file.algorithm). Checksums.composite.algorithm only knows MD5.
struct checksum_algorithm : string_enum<checksum_algorithm> {
    using string_enum::string_enum;
    static constexpr std::string_view md5 = "MD5";
    static constexpr std::string_view sha_256 = "SHA_256";
    static constexpr std::array<std::string_view, 2> known_values = {md5, sha_256};
};

// SubscriptionStatusUrlVersion (App only).
struct subscription_status_url_version : string_enum<subscription_status_url_version> {
    using string_enum::string_enum;
    static constexpr std::string_view v1 = "V1";
    static constexpr std::string_view v2 = "V2";
    static constexpr std::array<std::string_view, 2> known_values = {v1, v2};
};

// App.attributes.contentRightsDeclaration.
struct content_rights_declaration : string_enum<content_rights_declaration> {
    using string_enum::string_enum;
    static constexpr std::string_view does_not_use_third_party_content =
        "DOES_NOT_USE_THIRD_PARTY_CONTENT";
    static constexpr std::string_view uses_third_party_content = "USES_THIRD_PARTY_CONTENT";
    static constexpr std::array<std::string_view, 2> known_values = {
        does_not_use_third_party_content, uses_third_party_content};
};

} // namespace ascpp::api
