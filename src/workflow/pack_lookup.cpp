#include "pack_lookup.hpp"

namespace ascpp::workflow::detail {

asio::awaitable<std::vector<api::background_asset>> list_packs(api::client& client,
                                                               std::string app_id,
                                                               std::vector<std::string> identifiers,
                                                               std::function<void()> count) {
    api::background_assets_query q;
    q.filter_asset_pack_identifier = std::move(identifiers);
    q.fields_background_assets = {"assetPackIdentifier", "archived", "createdDate", "usedBytes"};
    q.limit = 200;
    std::vector<api::background_asset> out;
    auto pages = client.paginate_background_assets(app_id, std::move(q));
    for (int n = 0; n < 100; ++n) {
        count();
        auto page = co_await pages.next_page();
        if (!page)
            break;
        for (auto& pack : page->data)
            out.push_back(std::move(pack));
        if (!page->has_next())
            break;
    }
    co_return out;
}

} // namespace ascpp::workflow::detail
