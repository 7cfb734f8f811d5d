// BackgroundAssetUploadFile (type "backgroundAssetUploadFiles"): a file reservation of a version,
// with the upload operations that send its bytes and its delivery state.
#pragma once

#include <ascpp/api/background_asset_version.hpp> // state_detail
#include <ascpp/api/enums.hpp>
#include <ascpp/api/json_api.hpp>

#include <ascpp/api/json_object.hpp>
#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::api {

// AppMediaStateError: same shape as StateDetail.
using app_media_state_error = state_detail;

// AppMediaAssetState: the upload file's `assetDeliveryState`.
struct asset_delivery_state {
    std::optional<delivery_state> state;
    std::optional<std::vector<app_media_state_error>> errors;
    std::optional<std::vector<app_media_state_error>> warnings;
    json_object unknown;
    friend bool operator==(const asset_delivery_state&, const asset_delivery_state&) = default;
};

// One {hash, algorithm} entry of Checksums.
struct checksum {
    std::optional<std::string> hash;
    std::optional<checksum_algorithm> algorithm;
    json_object unknown;
    friend bool operator==(const checksum&, const checksum&) = default;
};

// Checksums: `file` is over the whole file (MD5 or SHA_256); `composite` is MD5 only.
struct checksums {
    std::optional<checksum> file;
    std::optional<checksum> composite;
    json_object unknown;
    friend bool operator==(const checksums&, const checksums&) = default;
};

// HttpHeader.
struct http_header {
    std::optional<std::string> name;
    std::optional<std::string> value;
    json_object unknown;
    friend bool operator==(const http_header&, const http_header&) = default;
};

// DeliveryFileUploadOperation: send bytes [offset, offset + length) of the file with `method` to
// `url`, adding `request_headers`. The URL is presigned: never send the API token there.
struct delivery_file_upload_operation {
    std::optional<std::string> method;
    std::optional<std::string> url;
    std::optional<std::int64_t> length;
    std::optional<std::int64_t> offset;
    std::optional<std::vector<http_header>> request_headers;
    std::optional<std::string> expiration; // RFC 3339 date-time, as sent
    std::optional<std::int64_t> part_number;
    std::optional<std::string> entity_tag;
    json_object unknown;
    friend bool operator==(const delivery_file_upload_operation&,
                           const delivery_file_upload_operation&) = default;
};

struct background_asset_upload_file {
    static constexpr std::string_view resource_type = "backgroundAssetUploadFiles";

    struct attributes_type {
        std::optional<api::asset_delivery_state> asset_delivery_state;
        std::optional<std::string> asset_token;
        std::optional<api::asset_type> asset_type;
        std::optional<std::string> file_name;
        std::optional<std::int64_t> file_size;
        std::optional<std::string> source_file_checksum; // deprecated since 4.1
        std::optional<checksums> source_file_checksums;
        // Absent (or null) after the commit.
        std::optional<std::vector<delivery_file_upload_operation>> upload_operations;
        json_object unknown;
        friend bool operator==(const attributes_type&, const attributes_type&) = default;
    };

    std::string type{resource_type};
    std::string id;
    std::optional<attributes_type> attributes;
    // The spec declares no relationships here; a server that sends some keeps them.
    std::optional<json_object> relationships;
    std::optional<resource_links> links;
    json_object unknown;

    friend bool operator==(const background_asset_upload_file&,
                           const background_asset_upload_file&) = default;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value&, const asset_delivery_state&);
asset_delivery_state tag_invoke(boost::json::value_to_tag<asset_delivery_state>,
                                const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const checksum&);
checksum tag_invoke(boost::json::value_to_tag<checksum>, const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const checksums&);
checksums tag_invoke(boost::json::value_to_tag<checksums>, const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const http_header&);
http_header tag_invoke(boost::json::value_to_tag<http_header>, const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&,
                const delivery_file_upload_operation&);
delivery_file_upload_operation tag_invoke(boost::json::value_to_tag<delivery_file_upload_operation>,
                                          const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&,
                const background_asset_upload_file&);
background_asset_upload_file tag_invoke(boost::json::value_to_tag<background_asset_upload_file>,
                                        const boost::json::value&);

} // namespace ascpp::api
