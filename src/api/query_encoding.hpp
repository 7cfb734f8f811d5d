// How the typed queries of query.hpp go onto a request URL. Internal: the public headers do not
// make their users compile Boost.URL.
#pragma once

#include <ascpp/api/query.hpp>

#include <boost/url/url.hpp>

#include <string_view>

namespace ascpp::api {

// Appends the query to `url`. Throws std::invalid_argument when limit is outside 1..200 or a
// value is empty.
void append_query(boost::urls::url& url, const background_asset_query& q);
void append_query(boost::urls::url& url, const background_assets_query& q);
void append_query(boost::urls::url& url, const background_asset_version_query& q);
void append_query(boost::urls::url& url, const background_asset_versions_query& q);
void append_query(boost::urls::url& url, const background_asset_upload_file_query& q);
void append_query(boost::urls::url& url, const background_asset_upload_files_query& q);
void append_query(boost::urls::url& url, const linkages_query& q);
// `release_type` is the release's resource type, e.g. "backgroundAssetVersionAppStoreReleases".
void append_query(boost::urls::url& url, const release_query& q, std::string_view release_type);

} // namespace ascpp::api
