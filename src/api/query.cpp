#include "query_encoding.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <stdexcept>

namespace ascpp::api {
namespace {

// Everything but unreserved characters is percent-encoded: a comma inside a value becomes %2C
// so that the literal commas separating values stay unambiguous, and the brackets of names
// become %5B/%5D (RFC 3986 does not allow them raw in a query).
std::string encode_component(std::string_view s) {
    return boost::urls::encode(s, boost::urls::unreserved_chars);
}

template <class T>
std::string_view text_of(const T& v) {
    if constexpr (std::is_convertible_v<const T&, std::string_view>)
        return std::string_view(v);
    else
        return std::string_view(v.str());
}

template <class T>
void add(boost::urls::url& url, std::string_view name, const std::vector<T>& values) {
    if (values.empty())
        return;
    std::string joined;
    for (const auto& v : values) {
        auto text = text_of(v);
        if (text.empty())
            throw std::invalid_argument("empty value in query parameter " + std::string(name));
        if (!joined.empty())
            joined.push_back(',');
        joined += encode_component(text);
    }
    url.encoded_params().append({encode_component(name), joined});
}

void add_limit(boost::urls::url& url, const std::optional<int>& limit) {
    if (!limit)
        return;
    if (*limit < 1 || *limit > 200)
        throw std::invalid_argument("limit must be between 1 and 200, got " +
                                    std::to_string(*limit));
    url.encoded_params().append({"limit", std::to_string(*limit)});
}

} // namespace

void append_query(boost::urls::url& url, const background_asset_query& q) {
    add(url, "fields[backgroundAssets]", q.fields_background_assets);
    add(url, "fields[apps]", q.fields_apps);
    add(url, "fields[backgroundAssetVersions]", q.fields_background_asset_versions);
    add(url, "include", q.include);
}

void append_query(boost::urls::url& url, const background_assets_query& q) {
    add(url, "filter[archived]", q.filter_archived);
    add(url, "filter[assetPackIdentifier]", q.filter_asset_pack_identifier);
    add(url, "filter[versions.locale]", q.filter_versions_locale);
    add(url, "filter[versions.platforms]", q.filter_versions_platforms);
    add(url, "sort", q.sort);
    add(url, "fields[backgroundAssets]", q.fields_background_assets);
    add(url, "fields[apps]", q.fields_apps);
    add(url, "fields[backgroundAssetVersions]", q.fields_background_asset_versions);
    add_limit(url, q.limit);
    add(url, "include", q.include);
}

void append_query(boost::urls::url& url, const background_asset_version_query& q) {
    add(url, "fields[backgroundAssetVersions]", q.fields_background_asset_versions);
    add(url, "fields[backgroundAssets]", q.fields_background_assets);
    add(url, "fields[backgroundAssetVersionInternalBetaReleases]", q.fields_internal_beta_releases);
    add(url, "fields[backgroundAssetVersionExternalBetaReleases]", q.fields_external_beta_releases);
    add(url, "fields[backgroundAssetVersionAppStoreReleases]", q.fields_app_store_releases);
    add(url, "fields[backgroundAssetUploadFiles]", q.fields_background_asset_upload_files);
    add(url, "include", q.include);
}

void append_query(boost::urls::url& url, const background_asset_versions_query& q) {
    add(url, "filter[locale]", q.filter_locale);
    add(url, "filter[platforms]", q.filter_platforms);
    add(url, "filter[state]", q.filter_state);
    add(url, "filter[version]", q.filter_version);
    add(url, "filter[internalBetaRelease.state]", q.filter_internal_beta_release_state);
    add(url, "filter[externalBetaRelease.state]", q.filter_external_beta_release_state);
    add(url, "filter[appStoreRelease.state]", q.filter_app_store_release_state);
    add(url, "sort", q.sort);
    add(url, "fields[backgroundAssetVersions]", q.fields_background_asset_versions);
    add(url, "fields[backgroundAssets]", q.fields_background_assets);
    add(url, "fields[backgroundAssetVersionInternalBetaReleases]", q.fields_internal_beta_releases);
    add(url, "fields[backgroundAssetVersionExternalBetaReleases]", q.fields_external_beta_releases);
    add(url, "fields[backgroundAssetVersionAppStoreReleases]", q.fields_app_store_releases);
    add(url, "fields[backgroundAssetUploadFiles]", q.fields_background_asset_upload_files);
    add_limit(url, q.limit);
    add(url, "include", q.include);
}

void append_query(boost::urls::url& url, const background_asset_upload_file_query& q) {
    add(url, "fields[backgroundAssetUploadFiles]", q.fields_background_asset_upload_files);
}

void append_query(boost::urls::url& url, const background_asset_upload_files_query& q) {
    add(url, "fields[backgroundAssetUploadFiles]", q.fields_background_asset_upload_files);
    add_limit(url, q.limit);
}

void append_query(boost::urls::url& url, const linkages_query& q) {
    add_limit(url, q.limit);
}

void append_query(boost::urls::url& url, const release_query& q, std::string_view release_type) {
    add(url, "fields[" + std::string(release_type) + "]", q.fields_release);
    add(url, "fields[backgroundAssetVersions]", q.fields_background_asset_versions);
    add(url, "include", q.include);
}

} // namespace ascpp::api
