// The three release resources of a background asset version: internal beta (TestFlight internal
// testers), external beta (TestFlight external testers) and App Store. Read-only in this API.
#pragma once

#include <ascpp/api/boxed.hpp>
#include <ascpp/api/enums.hpp>
#include <ascpp/api/json_api.hpp>

#include <ascpp/api/json_object.hpp>
#include <boost/json/fwd.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace ascpp::api {

// Shared shape: attribute `state`; to-one relationship `backgroundAssetVersion`.
template <class State, const std::string_view& Type>
struct basic_release {
    using state_type = State;
    static constexpr std::string_view resource_type = Type;

    struct attributes_type {
        std::optional<State> state;
        json_object unknown;
        friend bool operator==(const attributes_type&, const attributes_type&) = default;
    };
    struct relationships_type {
        std::optional<to_one_relationship> background_asset_version;
        json_object unknown;
        friend bool operator==(const relationships_type&, const relationships_type&) = default;
    };

    std::string type{resource_type};
    std::string id;
    std::optional<attributes_type> attributes;
    boxed<relationships_type> relationships; // on the heap: large, often unread
    std::optional<resource_links> links;
    json_object unknown;

    friend bool operator==(const basic_release&, const basic_release&) = default;
};

inline constexpr std::string_view internal_beta_release_type =
    "backgroundAssetVersionInternalBetaReleases";
inline constexpr std::string_view external_beta_release_type =
    "backgroundAssetVersionExternalBetaReleases";
inline constexpr std::string_view app_store_release_type = "backgroundAssetVersionAppStoreReleases";

// BackgroundAssetVersionInternalBetaRelease.
using internal_beta_release =
    basic_release<internal_beta_release_state, internal_beta_release_type>;
// BackgroundAssetVersionExternalBetaRelease.
using external_beta_release =
    basic_release<external_beta_release_state, external_beta_release_type>;
// BackgroundAssetVersionAppStoreRelease.
using app_store_release = basic_release<app_store_release_state, app_store_release_type>;

void tag_invoke(boost::json::value_from_tag, boost::json::value&, const internal_beta_release&);
internal_beta_release tag_invoke(boost::json::value_to_tag<internal_beta_release>,
                                 const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const external_beta_release&);
external_beta_release tag_invoke(boost::json::value_to_tag<external_beta_release>,
                                 const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const app_store_release&);
app_store_release tag_invoke(boost::json::value_to_tag<app_store_release>,
                             const boost::json::value&);

} // namespace ascpp::api
