// BackgroundAssetVersion (type "backgroundAssetVersions"): one uploaded version of a pack.
#pragma once

#include <ascpp/api/boxed.hpp>
#include <ascpp/api/enums.hpp>
#include <ascpp/api/json_api.hpp>

#include <ascpp/api/json_object.hpp>
#include <boost/json/fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::api {

// StateDetail (and AppMediaStateError, which has the same shape): {code?, description?}.
struct state_detail {
    std::optional<std::string> code;
    std::optional<std::string> description;
    json_object unknown;
    friend bool operator==(const state_detail&, const state_detail&) = default;
};

// BackgroundAssetVersion.attributes.stateDetails.
struct state_details {
    std::optional<std::vector<state_detail>> errors;
    std::optional<std::vector<state_detail>> warnings;
    std::optional<std::vector<state_detail>> infos;
    json_object unknown;
    friend bool operator==(const state_details&, const state_details&) = default;
};

struct background_asset_version {
    static constexpr std::string_view resource_type = "backgroundAssetVersions";

    struct attributes_type {
        std::optional<std::string> created_date;
        std::optional<std::vector<platform>> platforms;
        std::optional<background_asset_version_state> state;
        std::optional<api::state_details> state_details;
        std::optional<std::string> version; // assigned by the server: "1", "2", ...
        std::optional<std::string> locale;
        json_object unknown;
        friend bool operator==(const attributes_type&, const attributes_type&) = default;
    };
    struct relationships_type {
        std::optional<to_one_relationship> background_asset;
        std::optional<to_one_relationship> internal_beta_release;
        std::optional<to_one_relationship> external_beta_release;
        std::optional<to_one_relationship> app_store_release;
        std::optional<to_one_relationship> asset_file;
        std::optional<to_one_relationship> manifest_file;
        std::optional<to_many_relationship> background_asset_upload_files;
        json_object unknown;
        friend bool operator==(const relationships_type&, const relationships_type&) = default;
    };

    std::string type{resource_type};
    std::string id;
    std::optional<attributes_type> attributes;
    boxed<relationships_type> relationships; // on the heap: large, often unread
    std::optional<resource_links> links;
    json_object unknown;

    friend bool operator==(const background_asset_version&,
                           const background_asset_version&) = default;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value&, const state_detail&);
state_detail tag_invoke(boost::json::value_to_tag<state_detail>, const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const state_details&);
state_details tag_invoke(boost::json::value_to_tag<state_details>, const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const background_asset_version&);
background_asset_version tag_invoke(boost::json::value_to_tag<background_asset_version>,
                                    const boost::json::value&);

} // namespace ascpp::api
