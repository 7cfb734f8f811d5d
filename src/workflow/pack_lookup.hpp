// Finding asset packs by identifier (GET /v1/apps/{id}/backgroundAssets with
// filter[assetPackIdentifier]), shared by publish (one pack) and publish_batch (many at once).
#pragma once

#include <ascpp/api/client.hpp>

#include <functional>
#include <string>
#include <vector>

namespace ascpp::workflow::detail {

// Every pack of the app whose identifier is one of `identifiers`, from every page (at most 100).
// `count` is called before each request. Throws what the client throws.
asio::awaitable<std::vector<api::background_asset>> list_packs(api::client& client,
                                                               std::string app_id,
                                                               std::vector<std::string> identifiers,
                                                               std::function<void()> count);

} // namespace ascpp::workflow::detail
