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

// GCC 12 mishandles braced lists and brace-initialised temporaries inside coroutines (double
// destruction), so requests, queries and documents are built by these plain functions.
api::background_assets_query assets_query(const command_args& a) {
    api::background_assets_query q;
    if (!a.identifier.empty())
        q.filter_asset_pack_identifier.push_back(a.identifier);
    if (a.archived)
        q.filter_archived.emplace_back(*a.archived ? "true" : "false");
    q.limit = 200;
    return q;
}

api::background_asset_create_request asset_create_request(const command_args& a) {
    api::background_asset_create_request r;
    r.app_id = a.app;
    r.asset_pack_identifier = a.identifier;
    return r;
}

api::background_asset_version_create_request version_create_request(const command_args& a) {
    api::background_asset_version_create_request r;
    r.background_asset_id = a.asset;
    return r;
}

api::background_asset_versions_query versions_query(const command_args& a) {
    api::background_asset_versions_query q;
    for (const auto& s : a.states)
        q.filter_state.emplace_back(std::string(s));
    if (a.sort)
        q.sort.emplace_back(*a.sort);
    q.limit = 200;
    return q;
}

api::background_asset_version_query version_with_releases_query() {
    api::background_asset_version_query q;
    q.include.emplace_back(api::includes::background_asset_version::internal_beta_release);
    q.include.emplace_back(api::includes::background_asset_version::external_beta_release);
    q.include.emplace_back(api::includes::background_asset_version::app_store_release);
    return q;
}

using version_relationship =
    std::optional<api::to_one_relationship> api::background_asset_version::relationships_type::*;

std::optional<api::to_one_relationship> relationship(const api::background_asset_version& v,
                                                     version_relationship member) {
    if (!v.relationships)
        return std::nullopt;
    return (*v.relationships).*member;
}

void print_releases(printer& out, const api::background_asset_version& version,
                    const json::value& internal, const json::value& external,
                    const json::value& app_store) {
    json::object result;
    result["version"] = json::value_from(version);
    result["internalBetaRelease"] = internal;
    result["externalBetaRelease"] = external;
    result["appStoreRelease"] = app_store;
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
    out.document(result, t);
}

asio::awaitable<void> assets(context& ctx) {
    const auto& a = ctx.args();
    auto& c = ctx.client;
    switch (ctx.inv.cmd) {
    case command::assets_list: {
        const auto q = assets_query(a);
        ctx.out.list(co_await collect(c.paginate_background_assets(a.app, q)), "No asset packs.");
        break;
    }
    case command::assets_create: {
        auto request = asset_create_request(a);
        auto doc = co_await c.create_background_asset(std::move(request));
        ctx.out.single(json::value_from(doc.data));
        break;
    }
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
        const auto q = versions_query(a);
        ctx.out.list(co_await collect(c.paginate_background_asset_versions(a.asset, q)),
                     "No versions.");
        break;
    }
    case command::versions_create: {
        auto request = version_create_request(a);
        auto doc = co_await c.create_background_asset_version(std::move(request));
        ctx.out.single(json::value_from(doc.data));
        break;
    }
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
    const auto q = version_with_releases_query();
    auto doc = co_await c.get_background_asset_version(ctx.args().version, q);
    using rels = api::background_asset_version::relationships_type;
    auto internal = co_await release_of<api::internal_beta_release>(
        doc, relationship(doc.data, &rels::internal_beta_release),
        [&](std::string id) { return c.get_internal_beta_release(std::move(id)); });
    auto external = co_await release_of<api::external_beta_release>(
        doc, relationship(doc.data, &rels::external_beta_release),
        [&](std::string id) { return c.get_external_beta_release(std::move(id)); });
    auto app_store = co_await release_of<api::app_store_release>(
        doc, relationship(doc.data, &rels::app_store_release),
        [&](std::string id) { return c.get_app_store_release(std::move(id)); });
    print_releases(ctx.out, doc.data, internal, external, app_store);
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
