// App (type "apps"): appears only in `included`. Its many relationships are kept as JSON.
#pragma once

#include <ascpp/api/enums.hpp>
#include <ascpp/api/json_api.hpp>

#include <ascpp/api/json_object.hpp>
#include <boost/json/fwd.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace ascpp::api {

struct app {
    static constexpr std::string_view resource_type = "apps";

    struct attributes_type {
        std::optional<std::string> accessibility_url;
        std::optional<std::string> name;
        std::optional<std::string> bundle_id;
        std::optional<std::string> sku;
        std::optional<std::string> primary_locale;
        std::optional<bool> is_or_ever_was_made_for_kids;
        std::optional<std::string> subscription_status_url;
        std::optional<api::subscription_status_url_version> subscription_status_url_version;
        std::optional<std::string> subscription_status_url_for_sandbox;
        std::optional<api::subscription_status_url_version>
            subscription_status_url_version_for_sandbox;
        std::optional<api::content_rights_declaration> content_rights_declaration;
        std::optional<bool> streamlined_purchasing_enabled;
        json_object unknown;
        friend bool operator==(const attributes_type&, const attributes_type&) = default;
    };

    std::string type{resource_type};
    std::string id;
    std::optional<attributes_type> attributes;
    // Apple declares some fifty relationships on App, none of them part of this API.
    std::optional<json_object> relationships;
    std::optional<resource_links> links;
    json_object unknown;

    friend bool operator==(const app&, const app&) = default;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value&, const app&);
app tag_invoke(boost::json::value_to_tag<app>, const boost::json::value&);

} // namespace ascpp::api
