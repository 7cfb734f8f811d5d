// Request bodies of the five write operations, as plain structs with Boost.JSON conversions in
// both directions (the simulator decodes them with the same code).
#pragma once

#include <ascpp/api/background_asset_upload_file.hpp> // checksums
#include <ascpp/api/enums.hpp>

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace ascpp::api {

// Op 3, BackgroundAssetCreateRequest: a new pack for an app.
struct background_asset_create_request {
    std::string app_id;
    std::string asset_pack_identifier;
    friend bool operator==(const background_asset_create_request&,
                           const background_asset_create_request&) = default;
};

// Op 5, BackgroundAssetUpdateRequest. `archived` is the only updatable attribute.
struct background_asset_update_request {
    std::string id;
    std::optional<bool> archived;
    friend bool operator==(const background_asset_update_request&,
                           const background_asset_update_request&) = default;
};

// Op 8, BackgroundAssetVersionCreateRequest: no attributes; the server numbers the version.
struct background_asset_version_create_request {
    std::string background_asset_id;
    friend bool operator==(const background_asset_version_create_request&,
                           const background_asset_version_create_request&) = default;
};

// Op 12, BackgroundAssetUploadFileCreateRequest: reserve an upload of `file_size` bytes.
struct background_asset_upload_file_create_request {
    std::string background_asset_version_id;
    api::asset_type asset_type{api::asset_type::asset};
    std::string file_name;
    std::int64_t file_size = 0; // 1..2^53-1
    friend bool operator==(const background_asset_upload_file_create_request&,
                           const background_asset_upload_file_create_request&) = default;
};

// Op 14, BackgroundAssetUploadFileUpdateRequest: commit (`uploaded = true`) with checksums.
struct background_asset_upload_file_update_request {
    std::string id;
    std::optional<bool> uploaded;
    std::optional<checksums> source_file_checksums;
    std::optional<std::string> source_file_checksum; // deprecated since 4.1
    friend bool operator==(const background_asset_upload_file_update_request&,
                           const background_asset_upload_file_update_request&) = default;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value&,
                const background_asset_create_request&);
background_asset_create_request
tag_invoke(boost::json::value_to_tag<background_asset_create_request>, const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&,
                const background_asset_update_request&);
background_asset_update_request
tag_invoke(boost::json::value_to_tag<background_asset_update_request>, const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&,
                const background_asset_version_create_request&);
background_asset_version_create_request
tag_invoke(boost::json::value_to_tag<background_asset_version_create_request>,
           const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&,
                const background_asset_upload_file_create_request&);
background_asset_upload_file_create_request
tag_invoke(boost::json::value_to_tag<background_asset_upload_file_create_request>,
           const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&,
                const background_asset_upload_file_update_request&);
background_asset_upload_file_update_request
tag_invoke(boost::json::value_to_tag<background_asset_upload_file_update_request>,
           const boost::json::value&);

} // namespace ascpp::api
