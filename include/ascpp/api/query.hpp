// Typed query options of the operations that take them. Array parameters are encoded as the
// spec declares (style form, explode false): one parameter whose values are comma-joined, each
// value percent-encoded (so a comma inside a value is %2C). Empty vectors are omitted.
//
// Names follow the parameters: `fields_background_assets` is `fields[backgroundAssets]`,
// `filter_versions_platforms` is `filter[versions.platforms]`. The `fields`, `include` and `sort`
// value sets are in the constant namespaces below.
#pragma once

#include <ascpp/api/enums.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::api {

namespace fields {
// fields[backgroundAssets]
namespace background_assets {
inline constexpr std::string_view archived = "archived",
                                  asset_pack_identifier = "assetPackIdentifier",
                                  created_date = "createdDate", used_bytes = "usedBytes",
                                  app = "app", versions = "versions",
                                  app_store_version = "appStoreVersion",
                                  internal_beta_version = "internalBetaVersion",
                                  external_beta_version = "externalBetaVersion";
}
// fields[backgroundAssetVersions]
namespace background_asset_versions {
inline constexpr std::string_view created_date = "createdDate", platforms = "platforms",
                                  state = "state", state_details = "stateDetails",
                                  version = "version", locale = "locale",
                                  background_asset = "backgroundAsset",
                                  internal_beta_release = "internalBetaRelease",
                                  external_beta_release = "externalBetaRelease",
                                  app_store_release = "appStoreRelease", asset_file = "assetFile",
                                  manifest_file = "manifestFile",
                                  background_asset_upload_files = "backgroundAssetUploadFiles";
}
// fields[backgroundAssetUploadFiles]
namespace background_asset_upload_files {
inline constexpr std::string_view asset_delivery_state = "assetDeliveryState",
                                  asset_token = "assetToken", asset_type = "assetType",
                                  file_name = "fileName", file_size = "fileSize",
                                  source_file_checksum = "sourceFileChecksum",
                                  source_file_checksums = "sourceFileChecksums",
                                  upload_operations = "uploadOperations";
}
// fields[backgroundAssetVersion{InternalBeta,ExternalBeta,AppStore}Releases]
namespace releases {
inline constexpr std::string_view state = "state",
                                  background_asset_version = "backgroundAssetVersion";
}
} // namespace fields

namespace includes {
// include of ops 1 and 4 (background assets)
namespace background_asset {
inline constexpr std::string_view app = "app", app_store_version = "appStoreVersion",
                                  internal_beta_version = "internalBetaVersion",
                                  external_beta_version = "externalBetaVersion";
}
// include of ops 6 and 9 (versions)
namespace background_asset_version {
inline constexpr std::string_view background_asset = "backgroundAsset",
                                  internal_beta_release = "internalBetaRelease",
                                  external_beta_release = "externalBetaRelease",
                                  app_store_release = "appStoreRelease", asset_file = "assetFile",
                                  manifest_file = "manifestFile";
}
// include of ops 15-17 (releases)
namespace release {
inline constexpr std::string_view background_asset_version = "backgroundAssetVersion";
}
} // namespace includes

namespace sort {
// sort of op 1; a leading '-' means descending.
namespace background_assets {
inline constexpr std::string_view asset_pack_identifier = "assetPackIdentifier",
                                  asset_pack_identifier_desc = "-assetPackIdentifier",
                                  created_date = "createdDate", created_date_desc = "-createdDate";
}
// sort of op 6.
namespace background_asset_versions {
inline constexpr std::string_view version = "version", version_desc = "-version";
}
} // namespace sort

// Op 4, GET /v1/backgroundAssets/{id}.
struct background_asset_query {
    std::vector<std::string> fields_background_assets;
    std::vector<std::string> fields_apps;
    std::vector<std::string> fields_background_asset_versions;
    std::vector<std::string> include;
};

// Op 1, GET /v1/apps/{id}/backgroundAssets.
struct background_assets_query {
    std::vector<std::string> filter_archived; // "true" / "false"
    std::vector<std::string> filter_asset_pack_identifier;
    std::vector<std::string> filter_versions_locale;
    std::vector<platform> filter_versions_platforms;
    std::vector<std::string> sort;
    std::vector<std::string> fields_background_assets;
    std::vector<std::string> fields_apps;
    std::vector<std::string> fields_background_asset_versions;
    std::optional<int> limit; // 1..200
    std::vector<std::string> include;
};

// Op 9, GET /v1/backgroundAssetVersions/{id}.
struct background_asset_version_query {
    std::vector<std::string> fields_background_asset_versions;
    std::vector<std::string> fields_background_assets;
    std::vector<std::string> fields_internal_beta_releases;
    std::vector<std::string> fields_external_beta_releases;
    std::vector<std::string> fields_app_store_releases;
    std::vector<std::string> fields_background_asset_upload_files;
    std::vector<std::string> include;
};

// Op 6, GET /v1/backgroundAssets/{id}/versions.
struct background_asset_versions_query {
    std::vector<std::string> filter_locale;
    std::vector<platform> filter_platforms;
    std::vector<background_asset_version_state> filter_state;
    std::vector<std::string> filter_version;
    std::vector<internal_beta_release_state> filter_internal_beta_release_state;
    std::vector<external_beta_release_state> filter_external_beta_release_state;
    std::vector<app_store_release_state> filter_app_store_release_state;
    std::vector<std::string> sort;
    std::vector<std::string> fields_background_asset_versions;
    std::vector<std::string> fields_background_assets;
    std::vector<std::string> fields_internal_beta_releases;
    std::vector<std::string> fields_external_beta_releases;
    std::vector<std::string> fields_app_store_releases;
    std::vector<std::string> fields_background_asset_upload_files;
    std::optional<int> limit; // 1..200
    std::vector<std::string> include;
};

// Op 13, GET /v1/backgroundAssetUploadFiles/{id}.
struct background_asset_upload_file_query {
    std::vector<std::string> fields_background_asset_upload_files;
};

// Op 10, GET /v1/backgroundAssetVersions/{id}/backgroundAssetUploadFiles.
struct background_asset_upload_files_query {
    std::vector<std::string> fields_background_asset_upload_files;
    std::optional<int> limit; // 1..200
};

// Ops 15-17: `fields_release` is encoded as fields[<that release's type>].
struct release_query {
    std::vector<std::string> fields_release;
    std::vector<std::string> fields_background_asset_versions;
    std::vector<std::string> include;
};

// Ops 2, 7 and 11 (linkages).
struct linkages_query {
    std::optional<int> limit; // 1..200
};

} // namespace ascpp::api
