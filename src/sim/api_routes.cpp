#include "api_routes.hpp"

#include "json_api.hpp"
#include "upload_host.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace ascpp::sim {

namespace json = boost::json;

namespace {

constexpr std::uint64_t max_safe_integer = 9007199254740991ull;

struct route_match {
    std::string operation; // spec operationId; empty when the path is unknown
    std::string id;        // the path's {id}
    std::string allow;     // methods the path accepts, for 405
};

route_match match_route(http::verb method, const std::vector<std::string>& seg) {
    route_match m;
    auto pick = [&](std::initializer_list<std::pair<http::verb, const char*>> ops) {
        std::string allow;
        for (auto& [verb, op] : ops) {
            if (!allow.empty())
                allow += ", ";
            allow += std::string(http::to_string(verb));
            if (verb == method)
                m.operation = op;
        }
        if (m.operation.empty())
            m.allow = allow;
    };
    const auto n = seg.size();
    if (n < 2 || seg[0] != "v1")
        return m;
    const std::string& coll = seg[1];
    if (n >= 3)
        m.id = seg[2];
    if (n >= 3 && m.id.empty())
        return m;
    if (coll == "apps") {
        if (n == 4 && seg[3] == "backgroundAssets")
            pick({{http::verb::get, "apps_backgroundAssets_getToManyRelated"}});
        else if (n == 5 && seg[3] == "relationships" && seg[4] == "backgroundAssets")
            pick({{http::verb::get, "apps_backgroundAssets_getToManyRelationship"}});
    } else if (coll == "backgroundAssets") {
        if (n == 2)
            pick({{http::verb::post, "backgroundAssets_createInstance"}});
        else if (n == 3)
            pick({{http::verb::get, "backgroundAssets_getInstance"},
                  {http::verb::patch, "backgroundAssets_updateInstance"}});
        else if (n == 4 && seg[3] == "versions")
            pick({{http::verb::get, "backgroundAssets_versions_getToManyRelated"}});
        else if (n == 5 && seg[3] == "relationships" && seg[4] == "versions")
            pick({{http::verb::get, "backgroundAssets_versions_getToManyRelationship"}});
    } else if (coll == "backgroundAssetVersions") {
        if (n == 2)
            pick({{http::verb::post, "backgroundAssetVersions_createInstance"}});
        else if (n == 3)
            pick({{http::verb::get, "backgroundAssetVersions_getInstance"}});
        else if (n == 4 && seg[3] == "backgroundAssetUploadFiles")
            pick({{http::verb::get,
                   "backgroundAssetVersions_backgroundAssetUploadFiles_getToManyRelated"}});
        else if (n == 5 && seg[3] == "relationships" && seg[4] == "backgroundAssetUploadFiles")
            pick({{http::verb::get,
                   "backgroundAssetVersions_backgroundAssetUploadFiles_getToManyRelationship"}});
    } else if (coll == "backgroundAssetUploadFiles") {
        if (n == 2)
            pick({{http::verb::post, "backgroundAssetUploadFiles_createInstance"}});
        else if (n == 3)
            pick({{http::verb::get, "backgroundAssetUploadFiles_getInstance"},
                  {http::verb::patch, "backgroundAssetUploadFiles_updateInstance"}});
    } else if (n == 3 && coll == "backgroundAssetVersionInternalBetaReleases") {
        pick({{http::verb::get, "backgroundAssetVersionInternalBetaReleases_getInstance"}});
    } else if (n == 3 && coll == "backgroundAssetVersionExternalBetaReleases") {
        pick({{http::verb::get, "backgroundAssetVersionExternalBetaReleases_getInstance"}});
    } else if (n == 3 && coll == "backgroundAssetVersionAppStoreReleases") {
        pick({{http::verb::get, "backgroundAssetVersionAppStoreReleases_getInstance"}});
    }
    return m;
}

// ---- request bodies -------------------------------------------------------------------------

json::value parse_body(const request_type& req) {
    if (req.body().empty())
        throw api_error(400, "ENTITY_INVALID", "The request entity is not valid",
                        "A JSON request body is required");
    boost::system::error_code ec;
    json::value v = json::parse(req.body(), ec);
    if (ec)
        throw api_error(400, "ENTITY_INVALID", "The request entity is not valid",
                        "The request body is not valid JSON");
    return v;
}

const json::object& need_object(const json::value& v, const std::string& ptr) {
    if (!v.is_object())
        throw entity_unprocessable(ptr.empty() ? "/" : ptr,
                                   "'" + (ptr.empty() ? "/" : ptr) + "' must be an object");
    return v.get_object();
}

const json::value& need_member(const json::object& o, std::string_view name,
                               const std::string& ptr) {
    auto it = o.find(name);
    if (it == o.end())
        throw entity_unprocessable(ptr + "/" + std::string(name),
                                   "The required member '" + std::string(name) + "' is missing");
    return it->value();
}

const json::value* optional_member(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    return it == o.end() || it->value().is_null() ? nullptr : &it->value();
}

std::string need_string(const json::value& v, const std::string& ptr) {
    if (!v.is_string())
        throw entity_unprocessable(ptr, "'" + ptr + "' must be a string");
    return std::string(v.get_string());
}

const json::object& need_data(const json::value& root, std::string_view type) {
    auto& data = need_object(need_member(need_object(root, ""), "data", ""), "/data");
    auto t = need_string(need_member(data, "type", "/data"), "/data/type");
    if (t != type)
        throw entity_unprocessable("/data/type", "The resource type '" + t +
                                                     "' is not valid here; expected '" +
                                                     std::string(type) + "'");
    return data;
}

void reject_unknown(const json::object& o, std::initializer_list<std::string_view> known,
                    const std::string& ptr, const char* what) {
    for (auto& kv : o) {
        bool ok = false;
        for (auto k : known)
            ok = ok || kv.key() == k;
        if (!ok)
            throw entity_error(
                std::string(what) + ".UNKNOWN", ptr + "/" + std::string(kv.key()),
                "The provided entity includes an unknown " +
                    std::string(what == std::string("ATTRIBUTE") ? "attribute" : "relationship"),
                "'" + std::string(kv.key()) + "' is not a valid member here");
    }
}

// {"relationships": {name: {"data": {"type": type, "id": id}}}} -> id
std::string need_linkage(const json::object& data, std::string_view name, std::string_view type) {
    auto& rels = need_object(need_member(data, "relationships", "/data"), "/data/relationships");
    reject_unknown(rels, {name}, "/data/relationships", "RELATIONSHIP");
    std::string ptr = "/data/relationships/" + std::string(name);
    auto& rel = need_object(need_member(rels, name, "/data/relationships"), ptr);
    auto& linkage = need_object(need_member(rel, "data", ptr), ptr + "/data");
    auto t = need_string(need_member(linkage, "type", ptr + "/data"), ptr + "/data/type");
    if (t != type)
        throw entity_unprocessable(ptr + "/data/type", "The related resource type '" + t +
                                                           "' is not valid here; expected '" +
                                                           std::string(type) + "'");
    return need_string(need_member(linkage, "id", ptr + "/data"), ptr + "/data/id");
}

void need_matching_id(const json::object& data, const std::string& path_id) {
    auto id = need_string(need_member(data, "id", "/data"), "/data/id");
    if (id != path_id)
        throw entity_error("ATTRIBUTE.INVALID", "/data/id",
                           "The provided entity has an id that does not match the URL",
                           "The id '" + id + "' in the body does not match the id in the path");
}

// Validates a Checksums object and returns it as given.
json::object need_checksums(const json::value& v, const std::string& ptr) {
    auto& o = need_object(v, ptr);
    reject_unknown(o, {"file", "composite"}, ptr, "ATTRIBUTE");
    for (auto name : {"file", "composite"}) {
        auto* part = optional_member(o, name);
        if (!part)
            continue;
        std::string p = ptr + "/" + name;
        auto& po = need_object(*part, p);
        reject_unknown(po, {"hash", "algorithm"}, p, "ATTRIBUTE");
        if (auto* h = optional_member(po, "hash"))
            need_string(*h, p + "/hash");
        if (auto* a = optional_member(po, "algorithm")) {
            auto alg = need_string(*a, p + "/algorithm");
            bool ok = alg == "MD5" || (std::string_view(name) == "file" && alg == "SHA_256");
            if (!ok)
                throw entity_unprocessable(p + "/algorithm",
                                           "'" + alg + "' is not a valid checksum algorithm");
        }
    }
    return o;
}

// ---- handlers -------------------------------------------------------------------------------

struct context {
    service& svc;
    const request_type& req;
    const route_match& route;
    boost::urls::url_view target;
    sys_time now;
};

struct result {
    unsigned status = 200;
    json::object body;
    std::string location;
};

query_options query_of(const context& c) {
    return parse_query(c.target, c.route.operation, c.svc.options.default_page_limit,
                       c.svc.cursor_key);
}

renderer make_renderer(const context& c, const query_options& q) {
    renderer r(c.svc.db, q, c.svc.api_base, c.svc.upload_base);
    if (!c.svc.options.return_source_file_checksums)
        r.hide_checksums();
    return r;
}

template <class T, class Render>
json::array page_of(const std::vector<T*>& all, const query_options& q, Render&& render) {
    json::array data;
    for (std::size_t i = q.offset; i < all.size() && i < q.offset + q.limit; ++i)
        data.push_back(render(*all[i]));
    return data;
}

json::object single(renderer& r, json::object data, std::string_view path) {
    json::object doc{{"data", std::move(data)}};
    if (r.has_included())
        doc["included"] = r.take_included();
    doc["links"] = r.document_links(path);
    return doc;
}

background_asset_record& asset_or_404(service& svc, const std::string& id) {
    auto* a = svc.db.find_asset(id);
    if (!a)
        throw not_found("backgroundAssets", id);
    return *a;
}
version_record& version_or_404(service& svc, const std::string& id) {
    auto* v = svc.db.find_version(id);
    if (!v)
        throw not_found("backgroundAssetVersions", id);
    return *v;
}

bool any_of_values(const std::vector<std::string>& values, std::string_view v) {
    return std::find(values.begin(), values.end(), v) != values.end();
}

std::vector<background_asset_record*> filtered_assets(service& svc, const std::string& app_id,
                                                      const query_options& q) {
    auto all = svc.db.assets_of_app(app_id);
    std::vector<background_asset_record*> out;
    const auto* archived = q.filter("archived");
    if (archived)
        for (auto& v : *archived)
            if (v != "true" && v != "false")
                throw parameter_invalid("filter[archived]",
                                        "'" + v + "' is not a valid value; use true or false");
    for (auto* a : all) {
        if (archived && !any_of_values(*archived, a->archived ? "true" : "false"))
            continue;
        if (auto* ids = q.filter("assetPackIdentifier");
            ids && !any_of_values(*ids, a->asset_pack_identifier))
            continue;
        auto any_version = [&](auto&& pred) {
            for (auto& vid : a->version_ids)
                if (pred(*svc.db.find_version(vid)))
                    return true;
            return false;
        };
        if (auto* ps = q.filter("versions.platforms")) {
            if (!any_version([&](const version_record& v) {
                    return std::any_of(v.platforms.begin(), v.platforms.end(),
                                       [&](auto& p) { return any_of_values(*ps, p); });
                }))
                continue;
        }
        if (auto* ls = q.filter("versions.locale")) {
            if (!any_version([&](const version_record& v) {
                    return v.locale && any_of_values(*ls, *v.locale);
                }))
                continue;
        }
        out.push_back(a);
    }
    if (!q.sort.empty()) {
        std::stable_sort(out.begin(), out.end(), [&](auto* x, auto* y) {
            for (auto& key : q.sort) {
                bool desc = key.front() == '-';
                std::string_view k = desc ? std::string_view(key).substr(1) : key;
                int c = 0;
                if (k == "assetPackIdentifier")
                    c = x->asset_pack_identifier.compare(y->asset_pack_identifier);
                else if (x->created_date != y->created_date)
                    c = x->created_date < y->created_date ? -1 : 1;
                else // same instant: creation order
                    c = x->sequence < y->sequence ? -1 : (x->sequence > y->sequence ? 1 : 0);
                if (c != 0)
                    return desc ? c > 0 : c < 0;
            }
            return false;
        });
    }
    return out;
}

std::vector<version_record*> filtered_versions(service& svc, background_asset_record& asset,
                                               const query_options& q) {
    std::vector<version_record*> out;
    auto release_state = [&](const std::string& rid) -> std::string {
        if (rid.empty())
            return {};
        auto* r = svc.db.find_release(rid);
        return r ? r->state : std::string();
    };
    for (auto& vid : asset.version_ids) {
        auto* v = svc.db.find_version(vid);
        if (auto* f = q.filter("state"); f && !any_of_values(*f, v->state))
            continue;
        if (auto* f = q.filter("version"); f && !any_of_values(*f, v->version))
            continue;
        if (auto* f = q.filter("locale"); f && !(v->locale && any_of_values(*f, *v->locale)))
            continue;
        if (auto* f = q.filter("platforms");
            f && std::none_of(v->platforms.begin(), v->platforms.end(),
                              [&](auto& p) { return any_of_values(*f, p); }))
            continue;
        if (auto* f = q.filter("internalBetaRelease.state");
            f && !any_of_values(*f, release_state(v->internal_release_id)))
            continue;
        if (auto* f = q.filter("externalBetaRelease.state");
            f && !any_of_values(*f, release_state(v->external_release_id)))
            continue;
        if (auto* f = q.filter("appStoreRelease.state");
            f && !any_of_values(*f, release_state(v->app_store_release_id)))
            continue;
        out.push_back(v);
    }
    if (!q.sort.empty() && q.sort.front() == "-version")
        std::reverse(out.begin(), out.end()); // version_ids are in version order already
    return out;
}

result get_app_assets(context& c, bool linkages) {
    auto q = query_of(c);
    std::lock_guard lock(c.svc.mutex);
    if (!c.svc.db.find_app(c.route.id))
        throw not_found("apps", c.route.id);
    auto r = make_renderer(c, q);
    std::string path = "/v1/apps/" + c.route.id +
                       (linkages ? "/relationships/backgroundAssets" : "/backgroundAssets");
    auto assets =
        linkages ? c.svc.db.assets_of_app(c.route.id) : filtered_assets(c.svc, c.route.id, q);
    json::object doc;
    doc["data"] = page_of(assets, q, [&](background_asset_record& a) -> json::value {
        if (linkages)
            return json::object{{"type", "backgroundAssets"}, {"id", a.id}};
        r.include_for(a);
        return r.asset(a);
    });
    if (r.has_included())
        doc["included"] = r.take_included();
    r.add_paging(doc, path, assets.size(), c.svc.cursor_key);
    return {200, std::move(doc), {}};
}

result create_asset(context& c) {
    query_of(c);
    auto body = parse_body(c.req);
    auto& data = need_data(body, "backgroundAssets");
    auto& attrs = need_object(need_member(data, "attributes", "/data"), "/data/attributes");
    reject_unknown(attrs, {"assetPackIdentifier"}, "/data/attributes", "ATTRIBUTE");
    auto identifier = need_string(need_member(attrs, "assetPackIdentifier", "/data/attributes"),
                                  "/data/attributes/assetPackIdentifier");
    auto app_id = need_linkage(data, "app", "apps");
    std::lock_guard lock(c.svc.mutex);
    auto& a = c.svc.db.create_asset(app_id, identifier, c.now);
    query_options q;
    auto r = make_renderer(c, q);
    std::string path = "/v1/backgroundAssets/" + a.id;
    return {201, single(r, r.asset(a), path), c.svc.api_base + path};
}

result get_asset(context& c) {
    auto q = query_of(c);
    std::lock_guard lock(c.svc.mutex);
    auto& a = asset_or_404(c.svc, c.route.id);
    auto r = make_renderer(c, q);
    r.include_for(a);
    return {200, single(r, r.asset(a), "/v1/backgroundAssets/" + a.id), {}};
}

result update_asset(context& c) {
    query_of(c);
    auto body = parse_body(c.req);
    auto& data = need_data(body, "backgroundAssets");
    need_matching_id(data, c.route.id);
    std::optional<bool> archived;
    if (auto* attrs_v = optional_member(data, "attributes")) {
        auto& attrs = need_object(*attrs_v, "/data/attributes");
        reject_unknown(attrs, {"archived"}, "/data/attributes", "ATTRIBUTE");
        if (auto* a = optional_member(attrs, "archived")) {
            if (!a->is_bool())
                throw entity_unprocessable("/data/attributes/archived",
                                           "'archived' must be a boolean");
            archived = a->get_bool();
        }
    }
    if (auto* rels = optional_member(data, "relationships"))
        reject_unknown(need_object(*rels, "/data/relationships"), {}, "/data/relationships",
                       "RELATIONSHIP");
    std::lock_guard lock(c.svc.mutex);
    auto& a = asset_or_404(c.svc, c.route.id);
    if (archived)
        c.svc.db.set_archived(a, *archived);
    query_options q;
    auto r = make_renderer(c, q);
    return {200, single(r, r.asset(a), "/v1/backgroundAssets/" + a.id), {}};
}

result get_versions(context& c, bool linkages) {
    auto q = query_of(c);
    std::lock_guard lock(c.svc.mutex);
    auto& a = asset_or_404(c.svc, c.route.id);
    auto r = make_renderer(c, q);
    std::string path =
        "/v1/backgroundAssets/" + a.id + (linkages ? "/relationships/versions" : "/versions");
    std::vector<version_record*> versions;
    if (linkages)
        for (auto& vid : a.version_ids)
            versions.push_back(c.svc.db.find_version(vid));
    else
        versions = filtered_versions(c.svc, a, q);
    json::object doc;
    doc["data"] = page_of(versions, q, [&](version_record& v) -> json::value {
        if (linkages)
            return json::object{{"type", "backgroundAssetVersions"}, {"id", v.id}};
        r.include_for(v);
        return r.version(v);
    });
    if (r.has_included())
        doc["included"] = r.take_included();
    r.add_paging(doc, path, versions.size(), c.svc.cursor_key);
    return {200, std::move(doc), {}};
}

result create_version(context& c) {
    query_of(c);
    auto body = parse_body(c.req);
    auto& data = need_data(body, "backgroundAssetVersions");
    if (auto* attrs = optional_member(data, "attributes"))
        reject_unknown(need_object(*attrs, "/data/attributes"), {}, "/data/attributes",
                       "ATTRIBUTE");
    auto asset_id = need_linkage(data, "backgroundAsset", "backgroundAssets");
    std::lock_guard lock(c.svc.mutex);
    auto& v = c.svc.db.create_version(asset_id, c.now);
    query_options q;
    auto r = make_renderer(c, q);
    std::string path = "/v1/backgroundAssetVersions/" + v.id;
    return {201, single(r, r.version(v), path), c.svc.api_base + path};
}

result get_version(context& c) {
    auto q = query_of(c);
    std::lock_guard lock(c.svc.mutex);
    auto& v = version_or_404(c.svc, c.route.id);
    auto r = make_renderer(c, q);
    r.include_for(v);
    return {200, single(r, r.version(v), "/v1/backgroundAssetVersions/" + v.id), {}};
}

result get_version_files(context& c, bool linkages) {
    auto q = query_of(c);
    std::lock_guard lock(c.svc.mutex);
    auto& v = version_or_404(c.svc, c.route.id);
    auto r = make_renderer(c, q);
    std::string path =
        "/v1/backgroundAssetVersions/" + v.id +
        (linkages ? "/relationships/backgroundAssetUploadFiles" : "/backgroundAssetUploadFiles");
    std::vector<upload_file_record*> files;
    for (auto& fid : v.upload_file_ids)
        files.push_back(c.svc.db.find_upload_file(fid));
    json::object doc;
    doc["data"] = page_of(files, q, [&](upload_file_record& f) -> json::value {
        if (linkages)
            return json::object{{"type", "backgroundAssetUploadFiles"}, {"id", f.id}};
        return r.upload_file(f);
    });
    r.add_paging(doc, path, files.size(), c.svc.cursor_key);
    return {200, std::move(doc), {}};
}

result create_upload_file(context& c, bool expire_now) {
    query_of(c);
    auto body = parse_body(c.req);
    auto& data = need_data(body, "backgroundAssetUploadFiles");
    auto& attrs = need_object(need_member(data, "attributes", "/data"), "/data/attributes");
    reject_unknown(attrs, {"assetType", "fileName", "fileSize"}, "/data/attributes", "ATTRIBUTE");
    auto asset_type = need_string(need_member(attrs, "assetType", "/data/attributes"),
                                  "/data/attributes/assetType");
    if (asset_type != "ASSET" && asset_type != "MANIFEST")
        throw entity_unprocessable("/data/attributes/assetType",
                                   "'" + asset_type +
                                       "' is not a valid assetType; use ASSET or MANIFEST");
    auto file_name = need_string(need_member(attrs, "fileName", "/data/attributes"),
                                 "/data/attributes/fileName");
    auto& size_v = need_member(attrs, "fileSize", "/data/attributes");
    std::uint64_t file_size = 0;
    if (size_v.is_uint64())
        file_size = size_v.get_uint64();
    else if (size_v.is_int64() && size_v.get_int64() >= 0)
        file_size = static_cast<std::uint64_t>(size_v.get_int64());
    else if (size_v.is_int64())
        file_size = 0;
    else
        throw entity_unprocessable("/data/attributes/fileSize", "'fileSize' must be an integer");
    if (file_size < 1 || file_size > max_safe_integer)
        throw entity_unprocessable("/data/attributes/fileSize",
                                   "'fileSize' must be from 1 to 9007199254740991");
    auto version_id = need_linkage(data, "backgroundAssetVersion", "backgroundAssetVersions");
    auto expiration =
        expire_now ? c.now - std::chrono::seconds(1) : c.now + c.svc.options.upload_url_lifetime;
    std::lock_guard lock(c.svc.mutex);
    auto& f = c.svc.db.create_upload_file(version_id, asset_type, file_name, file_size,
                                          c.svc.options.part_size, expiration,
                                          c.svc.options.shuffle_upload_operations);
    query_options q;
    auto r = make_renderer(c, q);
    std::string path = "/v1/backgroundAssetUploadFiles/" + f.id;
    return {201, single(r, r.upload_file(f), path), c.svc.api_base + path};
}

result get_upload_file(context& c) {
    auto q = query_of(c);
    std::lock_guard lock(c.svc.mutex);
    auto* f = c.svc.db.find_upload_file(c.route.id);
    if (!f)
        throw not_found("backgroundAssetUploadFiles", c.route.id);
    auto r = make_renderer(c, q);
    return {200, single(r, r.upload_file(*f), "/v1/backgroundAssetUploadFiles/" + f->id), {}};
}

result update_upload_file(context& c) {
    query_of(c);
    auto body = parse_body(c.req);
    auto& data = need_data(body, "backgroundAssetUploadFiles");
    need_matching_id(data, c.route.id);
    std::optional<std::string> checksum;
    std::optional<json::object> checksums;
    bool uploaded = false;
    if (auto* attrs_v = optional_member(data, "attributes")) {
        auto& attrs = need_object(*attrs_v, "/data/attributes");
        reject_unknown(attrs, {"sourceFileChecksum", "sourceFileChecksums", "uploaded"},
                       "/data/attributes", "ATTRIBUTE");
        if (auto* v = optional_member(attrs, "sourceFileChecksum"))
            checksum = need_string(*v, "/data/attributes/sourceFileChecksum");
        if (auto* v = optional_member(attrs, "sourceFileChecksums"))
            checksums = need_checksums(*v, "/data/attributes/sourceFileChecksums");
        if (auto* v = optional_member(attrs, "uploaded")) {
            if (!v->is_bool())
                throw entity_unprocessable("/data/attributes/uploaded",
                                           "'uploaded' must be a boolean");
            uploaded = v->get_bool();
        }
    }
    if (auto* rels = optional_member(data, "relationships"))
        reject_unknown(need_object(*rels, "/data/relationships"), {}, "/data/relationships",
                       "RELATIONSHIP");
    bool start_processing = false;
    result out;
    {
        std::lock_guard lock(c.svc.mutex);
        auto* f = c.svc.db.find_upload_file(c.route.id);
        if (!f)
            throw not_found("backgroundAssetUploadFiles", c.route.id);
        if (f->committed && (checksum || checksums || uploaded))
            throw entity_error(
                "STATE_ERROR", "/data/attributes", "The upload file was already committed",
                "The upload file is " + f->delivery_state + "; it cannot be changed any more");
        if (uploaded) {
            c.svc.db.commit_upload_file(*f);
            if (c.svc.faults.fail_processing(f->file_name)) {
                f->forced_failure = true;
                c.svc.stats.fault(fault_kind::fail_processing);
            }
            start_processing = true;
        }
        if (checksum)
            f->source_file_checksum = *checksum;
        if (checksums)
            f->source_file_checksums = *checksums;
        query_options q;
        auto r = make_renderer(c, q);
        out = {200, single(r, r.upload_file(*f), "/v1/backgroundAssetUploadFiles/" + f->id), {}};
    }
    if (start_processing)
        start_file_processing(c.svc, c.route.id);
    return out;
}

result get_release(context& c, release_channel channel) {
    auto q = query_of(c);
    std::lock_guard lock(c.svc.mutex);
    auto* rel = c.svc.db.find_release(c.route.id);
    if (!rel || rel->channel != channel)
        throw not_found(release_type(channel), c.route.id);
    auto r = make_renderer(c, q);
    r.include_for(*rel);
    return {200,
            single(r, r.release(*rel), "/v1/" + std::string(release_type(channel)) + "/" + rel->id),
            {}};
}

result run_operation(context& c, bool expire_upload_urls) {
    const auto& op = c.route.operation;
    if (op == "apps_backgroundAssets_getToManyRelated")
        return get_app_assets(c, false);
    if (op == "apps_backgroundAssets_getToManyRelationship")
        return get_app_assets(c, true);
    if (op == "backgroundAssets_createInstance")
        return create_asset(c);
    if (op == "backgroundAssets_getInstance")
        return get_asset(c);
    if (op == "backgroundAssets_updateInstance")
        return update_asset(c);
    if (op == "backgroundAssets_versions_getToManyRelated")
        return get_versions(c, false);
    if (op == "backgroundAssets_versions_getToManyRelationship")
        return get_versions(c, true);
    if (op == "backgroundAssetVersions_createInstance")
        return create_version(c);
    if (op == "backgroundAssetVersions_getInstance")
        return get_version(c);
    if (op == "backgroundAssetVersions_backgroundAssetUploadFiles_getToManyRelated")
        return get_version_files(c, false);
    if (op == "backgroundAssetVersions_backgroundAssetUploadFiles_getToManyRelationship")
        return get_version_files(c, true);
    if (op == "backgroundAssetUploadFiles_createInstance")
        return create_upload_file(c, expire_upload_urls);
    if (op == "backgroundAssetUploadFiles_getInstance")
        return get_upload_file(c);
    if (op == "backgroundAssetUploadFiles_updateInstance")
        return update_upload_file(c);
    if (op == "backgroundAssetVersionInternalBetaReleases_getInstance")
        return get_release(c, release_channel::internal_beta);
    if (op == "backgroundAssetVersionExternalBetaReleases_getInstance")
        return get_release(c, release_channel::external_beta);
    return get_release(c, release_channel::app_store);
}

bool accepts_json(std::string_view accept) {
    if (accept.empty())
        return true;
    for (auto ok : {"application/json", "application/*", "*/*", "application/vnd.api+json"})
        if (accept.find(ok) != std::string_view::npos)
            return true;
    return false;
}

bool is_json_content_type(std::string_view ct) {
    auto semi = ct.find(';');
    auto media = ct.substr(0, semi);
    while (!media.empty() && media.back() == ' ')
        media.remove_suffix(1);
    std::string lower(media);
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    return lower == "application/json" || lower == "application/vnd.api+json";
}

std::vector<std::string> path_segments(boost::urls::url_view u) {
    std::vector<std::string> out;
    for (auto s : u.segments())
        out.push_back(s);
    return out;
}

} // namespace

namespace {
// IMF-fixdate, as the Date header carries it.
std::string http_date(sys_time t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char out[40];
    std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return out;
}
} // namespace

response_type error_response(const api_error& e, unsigned version, bool keep_alive) {
    response_type res{static_cast<http::status>(e.status), version};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(keep_alive);
    res.body() = json::serialize(error_document(e, random_uuid()));
    res.prepare_payload();
    return res;
}

api_outcome handle_api_request(service& svc, const request_type& req) {
    api_outcome out;
    const bool keep_alive = req.keep_alive();
    std::string rate_header;
    auto finish = [&](unsigned status, const json::object& body) {
        response_type res{static_cast<http::status>(status), req.version()};
        res.set(http::field::date,
                http_date(std::chrono::system_clock::now() + svc.options.clock_offset));
        res.set(http::field::content_type, "application/json");
        res.keep_alive(keep_alive);
        if (!rate_header.empty())
            res.set("X-Rate-Limit", rate_header);
        res.body() = json::serialize(body);
        res.prepare_payload();
        return res;
    };
    std::string request_id = random_uuid();
    auto fail = [&](const api_error& e) {
        auto res = finish(e.status, error_document(e, request_id));
        svc.stats.response(e.status);
        return res;
    };

    std::string target_text = normalize_target(req.target());
    auto target = boost::urls::parse_origin_form(target_text);
    if (!target) {
        svc.stats.request("unknown");
        out.response = fail(api_error(400, "PARAMETER_ERROR.INVALID", "The URL is not valid",
                                      "The request target could not be parsed"));
        return out;
    }
    auto route = match_route(req.method(), path_segments(*target));
    svc.stats.request(route.operation.empty() ? "unknown" : route.operation);

    sys_time now = std::chrono::system_clock::now() + svc.options.clock_offset;
    auto verdict = svc.keys.verify(req[http::field::authorization],
                                   std::string_view(req.method_string()), target_text, now);
    if (!verdict.ok()) {
        rate_header = svc.limiter.peek().header();
        if (verdict.status == 403) {
            out.response = fail(api_error(403, "FORBIDDEN_ERROR",
                                          "This request is forbidden for security reasons",
                                          "The API key in use does not allow this request"));
        } else {
            svc.stats.unauthorized();
            // The reason says what was wrong with the token, never the token itself.
            out.response = fail(api_error(
                401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.",
                "Provide a properly configured and signed bearer token, and make sure that it "
                "has not expired (" +
                    verdict.reason + ")."));
        }
        return out;
    }
    auto budget = svc.limiter.take(verdict.key_id, rate_limiter::clock::now());
    rate_header = budget.header();
    if (!budget.allowed) {
        svc.stats.rate_limited();
        out.response =
            fail(api_error(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.",
                           "We've received too many requests for this API. Please "
                           "wait and try again or slow down your request rate."));
        return out;
    }
    if (route.operation.empty()) {
        if (!route.allow.empty()) {
            out.response = fail(api_error(405, "METHOD_NOT_ALLOWED",
                                          "The request method is not valid for the resource "
                                          "path.",
                                          "The resource path allows " + route.allow));
            out.response.set(http::field::allow, route.allow);
        } else {
            out.response = fail(
                api_error(404, "PATH_ERROR", "The URL path is not valid",
                          "The resource '" + std::string(target->path()) + "' does not exist"));
        }
        return out;
    }

    auto plan = svc.faults.plan(route.operation);
    for (auto k : plan.applied)
        svc.stats.fault(k);
    out.latency = plan.latency;
    if (plan.terminal == fault_kind::http_error) {
        api_error e =
            plan.status == 429
                ? api_error(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.",
                            "Injected by the simulator's fault rules.")
            : plan.status == 503
                ? api_error(503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable.",
                            "Injected by the simulator's fault rules.")
                : api_error(plan.status, "UNEXPECTED_ERROR", "An unexpected error occurred.",
                            "Injected by the simulator's fault rules.");
        out.response = fail(e);
        return out;
    }
    if (plan.terminal == fault_kind::stall) {
        // The server never gets to the request: nothing changes.
        out.how = api_outcome::delivery::stall;
        out.stall = plan.stall;
        return out;
    }
    if (plan.terminal == fault_kind::drop_connection)
        out.how = api_outcome::delivery::drop_mid_body;

    if (!accepts_json(req[http::field::accept])) {
        out.response = finish(406, json::object{});
        out.response.set(http::field::content_type, "text/plain");
        out.response.body() = "The Accept header does not allow application/json\n";
        out.response.prepare_payload();
        svc.stats.response(406);
        return out;
    }
    if ((req.method() == http::verb::post || req.method() == http::verb::patch) &&
        !is_json_content_type(req[http::field::content_type])) {
        out.response = fail(api_error(415, "ENTITY_INVALID.CONTENT_TYPE",
                                      "The request entity has an unsupported media type",
                                      "Send the body as application/json"));
        return out;
    }

    context c{svc, req, route, *target, now};
    try {
        auto r = run_operation(c, plan.expire_upload_url);
        out.response = finish(r.status, r.body);
        if (!r.location.empty())
            out.response.set(http::field::location, r.location);
        svc.stats.response(r.status);
    } catch (const api_error& e) {
        out.response = fail(e);
    } catch (const std::exception& e) {
        out.response = fail(api_error(500, "UNEXPECTED_ERROR", "An unexpected error occurred.",
                                      "The simulator failed to handle the request"));
    }
    return out;
}

} // namespace ascpp::sim
