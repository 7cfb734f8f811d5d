#include "json_api.hpp"

#include <ascpp/auth/base64url.hpp>

#include <boost/url/url.hpp>

#include <array>
#include <charconv>
#include <span>

namespace ascpp::sim {

namespace json = boost::json;
using list = std::span<const std::string_view>;

namespace {

// Value sets of the spec's query parameters.
constexpr std::string_view f_assets[] = {
    "archived", "assetPackIdentifier", "createdDate",         "usedBytes",          "app",
    "versions", "appStoreVersion",     "internalBetaVersion", "externalBetaVersion"};
constexpr std::string_view f_versions[] = {"createdDate",
                                           "platforms",
                                           "state",
                                           "stateDetails",
                                           "version",
                                           "locale",
                                           "backgroundAsset",
                                           "internalBetaRelease",
                                           "externalBetaRelease",
                                           "appStoreRelease",
                                           "assetFile",
                                           "manifestFile",
                                           "backgroundAssetUploadFiles"};
constexpr std::string_view f_files[] = {
    "assetDeliveryState", "assetToken",         "assetType",           "fileName",
    "fileSize",           "sourceFileChecksum", "sourceFileChecksums", "uploadOperations"};
constexpr std::string_view f_release[] = {"state", "backgroundAssetVersion"};
constexpr std::string_view f_apps[] = {"accessibilityUrl",
                                       "name",
                                       "bundleId",
                                       "sku",
                                       "primaryLocale",
                                       "isOrEverWasMadeForKids",
                                       "subscriptionStatusUrl",
                                       "subscriptionStatusUrlVersion",
                                       "subscriptionStatusUrlForSandbox",
                                       "subscriptionStatusUrlVersionForSandbox",
                                       "contentRightsDeclaration",
                                       "streamlinedPurchasingEnabled",
                                       "accessibilityDeclarations",
                                       "appEncryptionDeclarations",
                                       "appStoreIcon",
                                       "ciProduct",
                                       "betaTesters",
                                       "betaGroups",
                                       "appStoreVersions",
                                       "appTags",
                                       "preReleaseVersions",
                                       "betaAppLocalizations",
                                       "builds",
                                       "betaLicenseAgreement",
                                       "betaAppReviewDetail",
                                       "appInfos",
                                       "appClips",
                                       "appPricePoints",
                                       "endUserLicenseAgreement",
                                       "appPriceSchedule",
                                       "appAvailabilityV2",
                                       "inAppPurchases",
                                       "subscriptionGroups",
                                       "gameCenterEnabledVersions",
                                       "perfPowerMetrics",
                                       "appCustomProductPages",
                                       "inAppPurchasesV2",
                                       "promotedPurchases",
                                       "appEvents",
                                       "reviewSubmissions",
                                       "subscriptionGracePeriod",
                                       "customerReviews",
                                       "customerReviewSummarizations",
                                       "gameCenterDetail",
                                       "appStoreVersionExperimentsV2",
                                       "alternativeDistributionKey",
                                       "analyticsReportRequests",
                                       "marketplaceSearchDetail",
                                       "buildUploads",
                                       "backgroundAssets",
                                       "betaFeedbackScreenshotSubmissions",
                                       "betaFeedbackCrashSubmissions",
                                       "searchKeywords",
                                       "webhooks",
                                       "androidToIosAppMappingDetails"};
constexpr std::string_view platforms[] = {"IOS", "MAC_OS", "TV_OS", "VISION_OS"};
constexpr std::string_view version_states[] = {"AWAITING_UPLOAD", "PROCESSING", "FAILED",
                                               "COMPLETE"};
constexpr std::string_view internal_states[] = {"READY_FOR_TESTING", "SUPERSEDED"};
constexpr std::string_view external_states[] = {
    "READY_FOR_BETA_SUBMISSION", "WAITING_FOR_REVIEW", "IN_REVIEW", "REJECTED",
    "PROCESSING_FOR_TESTING",    "READY_FOR_TESTING",  "SUPERSEDED"};
constexpr std::string_view app_store_states[] = {"PREPARE_FOR_SUBMISSION",
                                                 "READY_FOR_REVIEW",
                                                 "WAITING_FOR_REVIEW",
                                                 "IN_REVIEW",
                                                 "ACCEPTED",
                                                 "REJECTED",
                                                 "PROCESSING_FOR_DISTRIBUTION",
                                                 "READY_FOR_DISTRIBUTION",
                                                 "SUPERSEDED"};
constexpr std::string_view asset_sorts[] = {"assetPackIdentifier", "-assetPackIdentifier",
                                            "createdDate", "-createdDate"};
constexpr std::string_view version_sorts[] = {"version", "-version"};
constexpr std::string_view asset_includes[] = {"app", "appStoreVersion", "internalBetaVersion",
                                               "externalBetaVersion"};
constexpr std::string_view version_includes[] = {"backgroundAsset",     "internalBetaRelease",
                                                 "externalBetaRelease", "appStoreRelease",
                                                 "assetFile",           "manifestFile"};
constexpr std::string_view release_includes[] = {"backgroundAssetVersion"};

enum class kind { values, free, limit, cursor };

struct param {
    std::string_view name;
    kind k;
    list values = {};
};

// The query parameters of each operation, as the spec declares them (plus `cursor`, which the
// spec leaves to links.next).
const std::vector<param>& parameters_of(std::string_view op) {
    static const std::vector<param> none;
    static const std::vector<param> paging = {{"limit", kind::limit}, {"cursor", kind::cursor}};
    static const std::vector<param> app_assets = {
        {"filter[archived]", kind::free},
        {"filter[assetPackIdentifier]", kind::free},
        {"filter[versions.locale]", kind::free},
        {"filter[versions.platforms]", kind::values, platforms},
        {"sort", kind::values, asset_sorts},
        {"fields[backgroundAssets]", kind::values, f_assets},
        {"fields[apps]", kind::values, f_apps},
        {"fields[backgroundAssetVersions]", kind::values, f_versions},
        {"limit", kind::limit},
        {"cursor", kind::cursor},
        {"include", kind::values, asset_includes}};
    static const std::vector<param> asset = {
        {"fields[backgroundAssets]", kind::values, f_assets},
        {"fields[apps]", kind::values, f_apps},
        {"fields[backgroundAssetVersions]", kind::values, f_versions},
        {"include", kind::values, asset_includes}};
    static const std::vector<param> version = {
        {"fields[backgroundAssetVersions]", kind::values, f_versions},
        {"fields[backgroundAssets]", kind::values, f_assets},
        {"fields[backgroundAssetVersionInternalBetaReleases]", kind::values, f_release},
        {"fields[backgroundAssetVersionExternalBetaReleases]", kind::values, f_release},
        {"fields[backgroundAssetVersionAppStoreReleases]", kind::values, f_release},
        {"fields[backgroundAssetUploadFiles]", kind::values, f_files},
        {"include", kind::values, version_includes}};
    static const std::vector<param> versions = [] {
        std::vector<param> p = {
            {"filter[locale]", kind::free},
            {"filter[platforms]", kind::values, platforms},
            {"filter[state]", kind::values, version_states},
            {"filter[version]", kind::free},
            {"filter[internalBetaRelease.state]", kind::values, internal_states},
            {"filter[externalBetaRelease.state]", kind::values, external_states},
            {"filter[appStoreRelease.state]", kind::values, app_store_states},
            {"sort", kind::values, version_sorts},
            {"limit", kind::limit},
            {"cursor", kind::cursor}};
        p.insert(p.end(), version.begin(), version.end());
        return p;
    }();
    static const std::vector<param> files = {
        {"fields[backgroundAssetUploadFiles]", kind::values, f_files},
        {"limit", kind::limit},
        {"cursor", kind::cursor}};
    static const std::vector<param> file = {
        {"fields[backgroundAssetUploadFiles]", kind::values, f_files}};
    static const std::vector<param> internal = {
        {"fields[backgroundAssetVersionInternalBetaReleases]", kind::values, f_release},
        {"fields[backgroundAssetVersions]", kind::values, f_versions},
        {"include", kind::values, release_includes}};
    static const std::vector<param> external = {
        {"fields[backgroundAssetVersionExternalBetaReleases]", kind::values, f_release},
        {"fields[backgroundAssetVersions]", kind::values, f_versions},
        {"include", kind::values, release_includes}};
    static const std::vector<param> app_store = {
        {"fields[backgroundAssetVersionAppStoreReleases]", kind::values, f_release},
        {"fields[backgroundAssetVersions]", kind::values, f_versions},
        {"include", kind::values, release_includes}};

    if (op == "apps_backgroundAssets_getToManyRelated")
        return app_assets;
    if (op == "apps_backgroundAssets_getToManyRelationship" ||
        op == "backgroundAssets_versions_getToManyRelationship" ||
        op == "backgroundAssetVersions_backgroundAssetUploadFiles_getToManyRelationship")
        return paging;
    if (op == "backgroundAssets_getInstance")
        return asset;
    if (op == "backgroundAssets_versions_getToManyRelated")
        return versions;
    if (op == "backgroundAssetVersions_getInstance")
        return version;
    if (op == "backgroundAssetVersions_backgroundAssetUploadFiles_getToManyRelated")
        return files;
    if (op == "backgroundAssetUploadFiles_getInstance")
        return file;
    if (op == "backgroundAssetVersionInternalBetaReleases_getInstance")
        return internal;
    if (op == "backgroundAssetVersionExternalBetaReleases_getInstance")
        return external;
    if (op == "backgroundAssetVersionAppStoreReleases_getInstance")
        return app_store;
    return none;
}

std::vector<std::string> split_commas(std::string_view v) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        auto comma = v.find(',', start);
        out.emplace_back(v.substr(start, comma - start));
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return out;
}

bool contains(list l, std::string_view v) {
    for (auto x : l)
        if (x == v)
            return true;
    return false;
}

// "fields[apps]" -> "apps"
std::string bracket_name(std::string_view key) {
    auto open = key.find('[');
    return std::string(key.substr(open + 1, key.size() - open - 2));
}

json::object linkage(std::string_view type, const std::string& id) {
    return {{"type", type}, {"id", id}};
}

json::array details(const std::vector<state_detail>& ds) {
    json::array out;
    for (auto& d : ds)
        out.push_back(json::object{{"code", d.code}, {"description", d.description}});
    return out;
}

} // namespace

query_options parse_query(boost::urls::url_view target, std::string_view operation_id,
                          std::uint32_t default_limit, std::uint64_t cursor_key) {
    query_options q;
    q.limit = default_limit;
    const auto& allowed = parameters_of(operation_id);
    std::set<std::string, std::less<>> seen;
    for (auto p : target.params()) {
        std::string key = p.key;
        std::string value = p.has_value ? std::string(p.value) : std::string();
        const param* rule = nullptr;
        for (auto& a : allowed)
            if (a.name == key)
                rule = &a;
        if (!rule)
            throw parameter_illegal(key);
        if (!seen.insert(key).second)
            throw parameter_invalid(key, "The parameter '" + key + "' is given more than once");
        q.params.emplace_back(key, value);
        switch (rule->k) {
        case kind::limit: {
            std::uint64_t n = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (ec != std::errc{} || end != value.data() + value.size() || n < 1 || n > 200)
                throw parameter_invalid(key, "'" + value +
                                                 "' is not a valid value for limit; it must be "
                                                 "an integer from 1 to 200");
            q.limit = static_cast<std::uint32_t>(n);
            break;
        }
        case kind::cursor: {
            auto raw = auth::base64url_decode(value);
            if (!raw || raw->size() != 8)
                throw parameter_invalid(key, "The cursor is not valid");
            std::uint64_t x = 0;
            for (unsigned char c : *raw)
                x = (x << 8) | c;
            q.offset = x ^ cursor_key;
            if (q.offset > (1ull << 40))
                throw parameter_invalid(key, "The cursor is not valid");
            break;
        }
        case kind::values:
        case kind::free: {
            auto values = split_commas(value);
            for (auto& v : values) {
                if (v.empty())
                    throw parameter_invalid(key, "The parameter '" + key + "' has an empty value");
                if (rule->k == kind::values && !contains(rule->values, v))
                    throw parameter_invalid(key,
                                            "'" + v + "' is not a valid value for '" + key + "'");
            }
            if (key == "sort")
                q.sort = std::move(values);
            else if (key == "include")
                q.include.insert(values.begin(), values.end());
            else if (key.starts_with("fields["))
                q.fields[bracket_name(key)].insert(values.begin(), values.end());
            else
                q.filters[bracket_name(key)] = std::move(values);
            break;
        }
        }
    }
    return q;
}

std::string encode_cursor(std::uint64_t offset, std::uint64_t cursor_key) {
    std::uint64_t x = offset ^ cursor_key;
    unsigned char raw[8];
    for (int i = 7; i >= 0; --i) {
        raw[i] = static_cast<unsigned char>(x & 0xFF);
        x >>= 8;
    }
    return auth::base64url_encode(std::span<const unsigned char>(raw, 8));
}

json::object error_document(const api_error& e, const std::string& request_id) {
    json::object err{{"id", request_id},
                     {"status", std::to_string(e.status)},
                     {"code", e.code},
                     {"title", e.title}};
    if (!e.detail.empty())
        err["detail"] = e.detail;
    if (e.source == api_error::source_kind::pointer)
        err["source"] = json::object{{"pointer", e.source_value}};
    else if (e.source == api_error::source_kind::parameter)
        err["source"] = json::object{{"parameter", e.source_value}};
    return json::object{{"errors", json::array{std::move(err)}}};
}

json::object renderer::app(const app_record& a) {
    constexpr std::string_view t = "apps";
    json::object attrs;
    if (q_.wants(t, "name"))
        attrs["name"] = a.name;
    if (q_.wants(t, "bundleId"))
        attrs["bundleId"] = a.bundle_id;
    if (q_.wants(t, "sku"))
        attrs["sku"] = a.sku;
    if (q_.wants(t, "primaryLocale"))
        attrs["primaryLocale"] = a.primary_locale;
    if (q_.wants(t, "isOrEverWasMadeForKids"))
        attrs["isOrEverWasMadeForKids"] = false;
    if (q_.wants(t, "contentRightsDeclaration"))
        attrs["contentRightsDeclaration"] = "DOES_NOT_USE_THIRD_PARTY_CONTENT";
    if (q_.wants(t, "streamlinedPurchasingEnabled"))
        attrs["streamlinedPurchasingEnabled"] = false;
    json::object rels;
    if (q_.wants(t, "backgroundAssets"))
        rels["backgroundAssets"] = json::object{
            {"links",
             json::object{{"self", url("/v1/apps/" + a.id + "/relationships/backgroundAssets")},
                          {"related", url("/v1/apps/" + a.id + "/backgroundAssets")}}}};
    json::object o{{"type", t}, {"id", a.id}};
    if (!attrs.empty())
        o["attributes"] = std::move(attrs);
    if (!rels.empty())
        o["relationships"] = std::move(rels);
    o["links"] = json::object{{"self", url("/v1/apps/" + a.id)}};
    return o;
}

json::object renderer::asset(const background_asset_record& a) {
    constexpr std::string_view t = "backgroundAssets";
    json::object attrs;
    if (q_.wants(t, "archived"))
        attrs["archived"] = a.archived;
    if (q_.wants(t, "assetPackIdentifier"))
        attrs["assetPackIdentifier"] = a.asset_pack_identifier;
    if (q_.wants(t, "createdDate"))
        attrs["createdDate"] = format_date_time(a.created_date);
    if (q_.wants(t, "usedBytes"))
        attrs["usedBytes"] = a.used_bytes;
    json::object rels;
    if (q_.wants(t, "app"))
        rels["app"] = json::object{{"data", linkage("apps", a.app_id)}};
    if (q_.wants(t, "versions"))
        rels["versions"] = json::object{
            {"links",
             json::object{{"self", url("/v1/backgroundAssets/" + a.id + "/relationships/versions")},
                          {"related", url("/v1/backgroundAssets/" + a.id + "/versions")}}}};
    auto to_one = [&](const char* name, const std::string& id) {
        if (q_.wants(t, name) && !id.empty())
            rels[name] = json::object{{"data", linkage("backgroundAssetVersions", id)}};
    };
    to_one("appStoreVersion", a.app_store_version_id);
    to_one("internalBetaVersion", a.internal_beta_version_id);
    to_one("externalBetaVersion", a.external_beta_version_id);
    json::object o{{"type", t}, {"id", a.id}};
    if (!attrs.empty())
        o["attributes"] = std::move(attrs);
    if (!rels.empty())
        o["relationships"] = std::move(rels);
    o["links"] = json::object{{"self", url("/v1/backgroundAssets/" + a.id)}};
    return o;
}

json::object renderer::version(const version_record& v) {
    constexpr std::string_view t = "backgroundAssetVersions";
    json::object attrs;
    if (q_.wants(t, "createdDate"))
        attrs["createdDate"] = format_date_time(v.created_date);
    if (q_.wants(t, "platforms")) {
        json::array ps;
        for (auto& p : v.platforms)
            ps.push_back(json::string(p));
        attrs["platforms"] = std::move(ps);
    }
    if (q_.wants(t, "state"))
        attrs["state"] = v.state;
    if (q_.wants(t, "stateDetails")) {
        json::object sd;
        if (!v.errors.empty())
            sd["errors"] = details(v.errors);
        if (!v.warnings.empty())
            sd["warnings"] = details(v.warnings);
        if (!v.infos.empty())
            sd["infos"] = details(v.infos);
        attrs["stateDetails"] = std::move(sd);
    }
    if (q_.wants(t, "version"))
        attrs["version"] = v.version;
    if (q_.wants(t, "locale") && v.locale)
        attrs["locale"] = *v.locale;
    json::object rels;
    if (q_.wants(t, "backgroundAsset"))
        rels["backgroundAsset"] = json::object{{"data", linkage("backgroundAssets", v.asset_id)}};
    auto to_one = [&](const char* name, std::string_view type, const std::string& id) {
        if (q_.wants(t, name) && !id.empty())
            rels[name] = json::object{{"data", linkage(type, id)}};
    };
    to_one("internalBetaRelease", release_type(release_channel::internal_beta),
           v.internal_release_id);
    to_one("externalBetaRelease", release_type(release_channel::external_beta),
           v.external_release_id);
    to_one("appStoreRelease", release_type(release_channel::app_store), v.app_store_release_id);
    to_one("assetFile", "backgroundAssetUploadFiles", v.asset_file_id);
    to_one("manifestFile", "backgroundAssetUploadFiles", v.manifest_file_id);
    if (q_.wants(t, "backgroundAssetUploadFiles"))
        rels["backgroundAssetUploadFiles"] = json::object{
            {"links", json::object{{"self", url("/v1/backgroundAssetVersions/" + v.id +
                                                "/relationships/backgroundAssetUploadFiles")},
                                   {"related", url("/v1/backgroundAssetVersions/" + v.id +
                                                   "/backgroundAssetUploadFiles")}}}};
    json::object o{{"type", t}, {"id", v.id}};
    if (!attrs.empty())
        o["attributes"] = std::move(attrs);
    if (!rels.empty())
        o["relationships"] = std::move(rels);
    o["links"] = json::object{{"self", url("/v1/backgroundAssetVersions/" + v.id)}};
    return o;
}

json::object renderer::upload_file(const upload_file_record& f) {
    constexpr std::string_view t = "backgroundAssetUploadFiles";
    json::object attrs;
    if (q_.wants(t, "assetDeliveryState")) {
        json::object s{{"state", f.delivery_state}};
        if (!f.errors.empty())
            s["errors"] = details(f.errors);
        if (!f.warnings.empty())
            s["warnings"] = details(f.warnings);
        attrs["assetDeliveryState"] = std::move(s);
    }
    if (q_.wants(t, "assetToken"))
        attrs["assetToken"] = f.asset_token;
    if (q_.wants(t, "assetType"))
        attrs["assetType"] = f.asset_type;
    if (q_.wants(t, "fileName"))
        attrs["fileName"] = f.file_name;
    if (q_.wants(t, "fileSize"))
        attrs["fileSize"] = f.file_size;
    if (q_.wants(t, "sourceFileChecksum") && f.source_file_checksum && !hide_checksums_)
        attrs["sourceFileChecksum"] = *f.source_file_checksum;
    if (q_.wants(t, "sourceFileChecksums") && f.source_file_checksums && !hide_checksums_)
        attrs["sourceFileChecksums"] = *f.source_file_checksums;
    // Apple drops the operations once the file is committed.
    if (q_.wants(t, "uploadOperations") && !f.committed) {
        json::array ops;
        auto expires = std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(f.expiration.time_since_epoch())
                .count());
        for (auto i : f.listing_order) {
            auto& p = f.parts[i];
            json::object op{{"method", "PUT"},
                            {"url", upload_ + "/bau/" + p.token + "?partNumber=" +
                                        std::to_string(p.part_number) + "&Expires=" + expires},
                            {"length", p.length},
                            {"offset", p.offset},
                            {"requestHeaders",
                             json::array{json::object{{"name", "Content-Type"},
                                                      {"value", "application/octet-stream"}}}},
                            {"expiration", format_date_time(f.expiration)},
                            {"partNumber", p.part_number}};
            if (p.entity_tag)
                op["entityTag"] = *p.entity_tag;
            ops.push_back(std::move(op));
        }
        attrs["uploadOperations"] = std::move(ops);
    }
    json::object o{{"type", t}, {"id", f.id}};
    if (!attrs.empty())
        o["attributes"] = std::move(attrs);
    o["links"] = json::object{{"self", url("/v1/backgroundAssetUploadFiles/" + f.id)}};
    return o;
}

json::object renderer::release(const release_record& r) {
    std::string_view t = release_type(r.channel);
    json::object o{{"type", t}, {"id", r.id}};
    if (q_.wants(t, "state"))
        o["attributes"] = json::object{{"state", r.state}};
    if (q_.wants(t, "backgroundAssetVersion"))
        o["relationships"] = json::object{
            {"backgroundAssetVersion",
             json::object{{"data", linkage("backgroundAssetVersions", r.version_id)}}}};
    o["links"] = json::object{{"self", url("/v1/" + std::string(t) + "/" + r.id)}};
    return o;
}

void renderer::add_included(json::object resource) {
    std::pair<std::string, std::string> key(resource["type"].as_string().c_str(),
                                            resource["id"].as_string().c_str());
    if (included_keys_.insert(key).second)
        included_.push_back(std::move(resource));
}

void renderer::include_for(const background_asset_record& a) {
    if (q_.includes("app"))
        if (auto* app_rec = store_.find_app(a.app_id))
            add_included(app(*app_rec));
    auto version_of = [&](const char* name, const std::string& id) {
        if (q_.includes(name) && !id.empty())
            if (auto* v = store_.find_version(id))
                add_included(version(*v));
    };
    version_of("appStoreVersion", a.app_store_version_id);
    version_of("internalBetaVersion", a.internal_beta_version_id);
    version_of("externalBetaVersion", a.external_beta_version_id);
}

void renderer::include_for(const version_record& v) {
    if (q_.includes("backgroundAsset"))
        if (auto* a = store_.find_asset(v.asset_id))
            add_included(asset(*a));
    auto release_of = [&](const char* name, const std::string& id) {
        if (q_.includes(name) && !id.empty())
            if (auto* r = store_.find_release(id))
                add_included(release(*r));
    };
    release_of("internalBetaRelease", v.internal_release_id);
    release_of("externalBetaRelease", v.external_release_id);
    release_of("appStoreRelease", v.app_store_release_id);
    auto file_of = [&](const char* name, const std::string& id) {
        if (q_.includes(name) && !id.empty())
            if (auto* f = store_.find_upload_file(id))
                add_included(upload_file(*f));
    };
    file_of("assetFile", v.asset_file_id);
    file_of("manifestFile", v.manifest_file_id);
}

void renderer::include_for(const release_record& r) {
    if (q_.includes("backgroundAssetVersion"))
        if (auto* v = store_.find_version(r.version_id))
            add_included(version(*v));
}

json::object renderer::document_links(std::string_view path) const {
    boost::urls::url u(url(path));
    for (auto& [k, v] : q_.params)
        u.params().append({k, v});
    return json::object{{"self", u.buffer()}};
}

void renderer::add_paging(json::object& doc, std::string_view path, std::size_t total,
                          std::uint64_t cursor_key) const {
    boost::urls::url self(url(path)), first(url(path));
    for (auto& [k, v] : q_.params) {
        self.params().append({k, v});
        if (k != "cursor")
            first.params().append({k, v});
    }
    json::object links{{"self", self.buffer()}, {"first", first.buffer()}};
    if (q_.offset + q_.limit < total) {
        boost::urls::url next = first;
        next.params().append({"cursor", encode_cursor(q_.offset + q_.limit, cursor_key)});
        links["next"] = next.buffer();
    }
    doc["links"] = std::move(links);
    doc["meta"] = json::object{{"paging", json::object{{"total", total}, {"limit", q_.limit}}}};
}

} // namespace ascpp::sim
