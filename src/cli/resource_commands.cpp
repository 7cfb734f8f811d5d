// assets, versions, files and releases: thin commands over single API operations.
#include "context.hpp"

#include "exit_code.hpp"

#include <boost/json/value_from.hpp>

namespace ascpp::cli {

namespace json = boost::json;

namespace {

template <class Pager>
asio::awaitable<json::array> collect(Pager pages) {
    json::array all;
    while (auto page = co_await pages.next_page())
        for (const auto& r : page->data)
            all.push_back(json::value_from(r));
    co_return all;
}

asio::awaitable<void> assets(context& ctx) {
    const auto& a = ctx.args();
    auto& c = ctx.client;
    switch (ctx.inv.cmd) {
    case command::assets_list: {
        api::background_assets_query q;
        if (!a.identifier.empty())
            q.filter_asset_pack_identifier = {a.identifier};
        if (a.archived)
            q.filter_archived = {*a.archived ? "true" : "false"};
        q.limit = 200;
        ctx.out.list(co_await collect(c.paginate_background_assets(a.app, q)), "No asset packs.");
        break;
    }
    case command::assets_create:
        ctx.out.single(
            json::value_from((co_await c.create_background_asset({a.app, a.identifier})).data));
        break;
    case command::assets_get:
        ctx.out.single(json::value_from((co_await c.get_background_asset(a.id)).data));
        break;
    case command::assets_archive:
    case command::assets_unarchive: {
        api::background_asset_update_request body;
        body.id = a.id;
        body.archived = ctx.inv.cmd == command::assets_archive;
        ctx.out.single(json::value_from((co_await c.update_background_asset(body)).data));
        break;
    }
    default:
        break;
    }
}

asio::awaitable<void> versions(context& ctx) {
    const auto& a = ctx.args();
    auto& c = ctx.client;
    switch (ctx.inv.cmd) {
    case command::versions_list: {
        api::background_asset_versions_query q;
        for (const auto& s : a.states)
            q.filter_state.emplace_back(std::string(s));
        if (a.sort)
            q.sort = {*a.sort};
        q.limit = 200;
        ctx.out.list(co_await collect(c.paginate_background_asset_versions(a.asset, q)),
                     "No versions.");
        break;
    }
    case command::versions_create:
        ctx.out.single(
            json::value_from((co_await c.create_background_asset_version({a.asset})).data));
        break;
    case command::versions_get:
        ctx.out.single(json::value_from((co_await c.get_background_asset_version(a.id)).data));
        break;
    default:
        break;
    }
}

asio::awaitable<void> files(context& ctx) {
    const auto& a = ctx.args();
    auto& c = ctx.client;
    if (ctx.inv.cmd == command::files_list) {
        api::background_asset_upload_files_query q;
        q.limit = 200;
        ctx.out.list(co_await collect(c.paginate_background_asset_upload_files(a.version, q)),
                     "No upload files.");
    } else {
        ctx.out.single(json::value_from((co_await c.get_background_asset_upload_file(a.id)).data));
    }
}

// The release a version's relationship points at: from `included` when the service included
// it, else with its own GET.
template <class Release, class Get>
asio::awaitable<json::value> release_of(const api::document<api::background_asset_version>& doc,
                                        std::optional<api::to_one_relationship> rel, Get get) {
    if (!rel || !rel->data)
        co_return json::value(nullptr);
    if (const Release* r = doc.included.template find<Release>(rel))
        co_return json::value_from(*r);
    auto fetched = co_await get(rel->data->id);
    co_return json::value_from(fetched.data);
}

asio::awaitable<void> releases(context& ctx) {
    auto& c = ctx.client;
    api::background_asset_version_query q;
    q.include = {std::string(api::includes::background_asset_version::internal_beta_release),
                 std::string(api::includes::background_asset_version::external_beta_release),
                 std::string(api::includes::background_asset_version::app_store_release)};
    auto doc = co_await c.get_background_asset_version(ctx.args().version, q);
    const auto& rels = doc.data.relationships;
    auto internal = co_await release_of<api::internal_beta_release>(
        doc, rels ? rels->internal_beta_release : std::nullopt,
        [&](std::string id) { return c.get_internal_beta_release(std::move(id)); });
    auto external = co_await release_of<api::external_beta_release>(
        doc, rels ? rels->external_beta_release : std::nullopt,
        [&](std::string id) { return c.get_external_beta_release(std::move(id)); });
    auto app_store = co_await release_of<api::app_store_release>(
        doc, rels ? rels->app_store_release : std::nullopt,
        [&](std::string id) { return c.get_app_store_release(std::move(id)); });

    json::object result{{"version", json::value_from(doc.data)},
                        {"internalBetaRelease", internal},
                        {"externalBetaRelease", external},
                        {"appStoreRelease", app_store}};
    table t({"CHANNEL", "ID", "STATE"});
    auto row = [&](std::string_view channel, const json::value& r) {
        if (!r.is_object()) {
            t.add_row({std::string(channel), "-", "-"});
            return;
        }
        std::string state = "-";
        if (auto* attrs = r.as_object().if_contains("attributes"); attrs && attrs->is_object())
            if (auto* s = attrs->as_object().if_contains("state"); s && s->is_string())
                state = s->as_string();
        t.add_row({std::string(channel), std::string(r.at("id").as_string()), state});
    };
    row("internal-beta", internal);
    row("external-beta", external);
    row("app-store", app_store);
    ctx.out.document(result, t);
}

} // namespace

asio::awaitable<void> run_resource_command(context& ctx) {
    switch (ctx.inv.cmd) {
    case command::assets_list:
    case command::assets_create:
    case command::assets_get:
    case command::assets_archive:
    case command::assets_unarchive:
        co_await assets(ctx);
        break;
    case command::versions_list:
    case command::versions_create:
    case command::versions_get:
        co_await versions(ctx);
        break;
    case command::files_list:
    case command::files_get:
        co_await files(ctx);
        break;
    case command::releases_get:
        co_await releases(ctx);
        break;
    default:
        throw std::logic_error("not a resource command");
    }
}

} // namespace ascpp::cli
