// BackgroundAsset (type "backgroundAssets"): an asset pack of an app.
#pragma once

#include <ascpp/api/boxed.hpp>
#include <ascpp/api/json_api.hpp>

#include <ascpp/api/json_object.hpp>
#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ascpp::api {

struct background_asset {
    static constexpr std::string_view resource_type = "backgroundAssets";

    struct attributes_type {
        std::optional<bool> archived;
        std::optional<std::string> asset_pack_identifier;
        std::optional<std::string> created_date; // RFC 3339 date-time, as sent
        std::optional<std::int64_t> used_bytes;
        json_object unknown; // attributes this spec version does not declare
        friend bool operator==(const attributes_type&, const attributes_type&) = default;
    };
    struct relationships_type {
        std::optional<to_one_relationship> app;
        std::optional<to_many_relationship> versions;
        std::optional<to_one_relationship> app_store_version;
        std::optional<to_one_relationship> internal_beta_version;
        std::optional<to_one_relationship> external_beta_version;
        json_object unknown;
        friend bool operator==(const relationships_type&, const relationships_type&) = default;
    };

    std::string type{resource_type};
    std::string id;
    std::optional<attributes_type> attributes;
    boxed<relationships_type> relationships; // on the heap: large, often unread
    std::optional<resource_links> links;
    json_object unknown; // top-level members beyond type/id/attributes/relationships/links

    friend bool operator==(const background_asset&, const background_asset&) = default;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value&, const background_asset&);
background_asset tag_invoke(boost::json::value_to_tag<background_asset>, const boost::json::value&);

} // namespace ascpp::api
