// ascpp::api::client: the 17 Background Assets operations of the App Store Connect API.
//
// Each operation is a coroutine (`co_await client.get_background_asset(id)`) with an
// `async_xxx(..., CompletionToken)` twin for callbacks, futures and deferred operations. They
// throw api_error (non-2xx), decode_error (a body of the wrong shape) or http::transport_error.
//
// The client signs and attaches the bearer token only to requests for the configured API origin;
// the underlying http::client (http()) is shared with the upload layer, whose part PUTs go out
// without it. Safe to use from several threads of one io_context.
//
// Operations and pagers hold what they use (the client's state, the transport, the token
// provider), so the client may be destroyed while they are under way: they run to their end as
// if it still existed. Destroying it cancels nothing; to stop them, use the completion token's
// cancellation slot or stop the io_context.
#pragma once

#include <ascpp/api/document.hpp>
#include <ascpp/api/error.hpp>
#include <ascpp/api/pager.hpp>
#include <ascpp/api/query.hpp>
#include <ascpp/api/rate_limit.hpp>
#include <ascpp/api/requests.hpp>
#include <ascpp/api/retry_policy.hpp>
#include <ascpp/async.hpp>
#include <ascpp/auth/private_key.hpp>
#include <ascpp/auth/token_provider.hpp>
#include <ascpp/http/options.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace ascpp::api {

struct client_config {
    // The API origin (scheme, host, optional port), no path. Only this origin gets the token.
    std::string base_url = "https://api.appstoreconnect.apple.com";
    std::string key_id;
    // The team's issuer id; absent for an individual key (tokens then carry sub "user").
    std::optional<std::string> issuer_id;
    // The key itself, or a .p8 file to load it from (one of the two is required).
    std::optional<auth::private_key> private_key;
    std::filesystem::path private_key_file;
    // Optional `scope` claim of the tokens.
    std::vector<std::string> token_scope;
    std::chrono::seconds token_lifetime{1200};
    // Use this provider instead of building one from the fields above (e.g. to share one
    // between clients, or to give it a test clock). key_id and the key are then not needed.
    std::shared_ptr<auth::token_provider> token_provider;

    // An extra trusted CA (PEM); overrides http.ca_file when set.
    std::optional<std::filesystem::path> ca_file;
    http::client_options http;
    api::retry_policy retry;
    // Keep requests within the X-Rate-Limit budget the server reports: a request waits while
    // the rolling window is full by the last response's count (plus what was sent since, minus
    // this client's own requests that have left the window since), so that a key used by this
    // client alone never draws a 429.
    bool client_side_rate_limit = true;
    // The window user-hour-lim counts over: Apple's is a rolling hour. Change it only to match a
    // service whose window differs (ascpp-sim --rate-limit-window, to show pacing in seconds).
    std::chrono::milliseconds rate_limit_window{3'600'000};
    std::string user_agent = "ascpp/0.1";

    // The settings the ascpp command reads: ASC_KEY_ID, ASC_ISSUER_ID, ASC_PRIVATE_KEY_PATH (or
    // the PEM in ASC_PRIVATE_KEY), ASC_API_URL, ASC_CA_FILE. Throws api::config_error naming the
    // variable that is missing or wrong (see <ascpp/api/environment.hpp>).
    static client_config from_environment();
};

// Counters since the client was built; a consistent snapshot.
struct client_stats {
    std::uint64_t requests_sent = 0; // HTTP requests sent to the API, retries included
    std::uint64_t retries = 0;       // of those, re-sent after a failure
    std::uint64_t rate_limited = 0;  // 429 responses
    std::uint64_t throttled = 0;     // requests the client-side limiter delayed
    std::uint64_t api_errors = 0;    // operations that ended in api_error
    // Requests sent per operationId (retries included).
    std::map<std::string, std::uint64_t> requests_by_operation;
};

class client {
public:
    // Loads the key when only private_key_file is given; throws auth::key_error or
    // std::invalid_argument (bad base_url, missing key id or key).
    client(asio::any_io_executor ex, client_config config);
    // Shares an existing transport (and its pools) instead of making one.
    client(asio::any_io_executor ex, client_config config, std::shared_ptr<http::client> http);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // ---- background assets (asset packs) ----
    // 1. GET /v1/apps/{id}/backgroundAssets: the first page.
    asio::awaitable<page<background_asset>>
    list_background_assets(std::string app_id,
                           background_assets_query q = background_assets_query());
    pager<background_asset>
    paginate_background_assets(std::string app_id,
                               background_assets_query q = background_assets_query());
    // 2. GET /v1/apps/{id}/relationships/backgroundAssets
    asio::awaitable<page<resource_identifier>>
    list_background_asset_ids(std::string app_id, linkages_query q = linkages_query());
    pager<resource_identifier> paginate_background_asset_ids(std::string app_id,
                                                             linkages_query q = linkages_query());
    // 3. POST /v1/backgroundAssets
    asio::awaitable<document<background_asset>>
    create_background_asset(background_asset_create_request body);
    // The same with plain parameters, so no request needs to be braced inside a co_await.
    asio::awaitable<document<background_asset>>
    create_background_asset(std::string app_id, std::string asset_pack_identifier) {
        return create_background_asset(
            background_asset_create_request{std::move(app_id), std::move(asset_pack_identifier)});
    }
    // 4. GET /v1/backgroundAssets/{id}
    asio::awaitable<document<background_asset>>
    get_background_asset(std::string id, background_asset_query q = background_asset_query());
    // 5. PATCH /v1/backgroundAssets/{id} (body.id is the id)
    asio::awaitable<document<background_asset>>
    update_background_asset(background_asset_update_request body);
    asio::awaitable<document<background_asset>> update_background_asset(std::string id,
                                                                        bool archived) {
        return update_background_asset(background_asset_update_request{std::move(id), archived});
    }

    // ---- versions ----
    // 6. GET /v1/backgroundAssets/{id}/versions
    asio::awaitable<page<background_asset_version>> list_background_asset_versions(
        std::string background_asset_id,
        background_asset_versions_query q = background_asset_versions_query());
    pager<background_asset_version> paginate_background_asset_versions(
        std::string background_asset_id,
        background_asset_versions_query q = background_asset_versions_query());
    // 7. GET /v1/backgroundAssets/{id}/relationships/versions
    asio::awaitable<page<resource_identifier>>
    list_background_asset_version_ids(std::string background_asset_id,
                                      linkages_query q = linkages_query());
    pager<resource_identifier>
    paginate_background_asset_version_ids(std::string background_asset_id,
                                          linkages_query q = linkages_query());
    // 8. POST /v1/backgroundAssetVersions
    asio::awaitable<document<background_asset_version>>
    create_background_asset_version(background_asset_version_create_request body);
    asio::awaitable<document<background_asset_version>>
    create_background_asset_version(std::string background_asset_id) {
        return create_background_asset_version(
            background_asset_version_create_request{std::move(background_asset_id)});
    }
    // 9. GET /v1/backgroundAssetVersions/{id}
    asio::awaitable<document<background_asset_version>> get_background_asset_version(
        std::string id, background_asset_version_query q = background_asset_version_query());

    // ---- upload files ----
    // 10. GET /v1/backgroundAssetVersions/{id}/backgroundAssetUploadFiles
    asio::awaitable<page<background_asset_upload_file>> list_background_asset_upload_files(
        std::string version_id,
        background_asset_upload_files_query q = background_asset_upload_files_query());
    pager<background_asset_upload_file> paginate_background_asset_upload_files(
        std::string version_id,
        background_asset_upload_files_query q = background_asset_upload_files_query());
    // 11. GET /v1/backgroundAssetVersions/{id}/relationships/backgroundAssetUploadFiles
    asio::awaitable<page<resource_identifier>>
    list_background_asset_upload_file_ids(std::string version_id,
                                          linkages_query q = linkages_query());
    pager<resource_identifier>
    paginate_background_asset_upload_file_ids(std::string version_id,
                                              linkages_query q = linkages_query());
    // 12. POST /v1/backgroundAssetUploadFiles (reserve; the response has the upload operations)
    asio::awaitable<document<background_asset_upload_file>>
    create_background_asset_upload_file(background_asset_upload_file_create_request body);
    asio::awaitable<document<background_asset_upload_file>>
    create_background_asset_upload_file(std::string version_id, api::asset_type type,
                                        std::string file_name, std::int64_t file_size) {
        return create_background_asset_upload_file(background_asset_upload_file_create_request{
            std::move(version_id), type, std::move(file_name), file_size});
    }
    // 13. GET /v1/backgroundAssetUploadFiles/{id}
    asio::awaitable<document<background_asset_upload_file>> get_background_asset_upload_file(
        std::string id,
        background_asset_upload_file_query q = background_asset_upload_file_query());
    // 14. PATCH /v1/backgroundAssetUploadFiles/{id} (commit; body.id is the id)
    asio::awaitable<document<background_asset_upload_file>>
    update_background_asset_upload_file(background_asset_upload_file_update_request body);
    // Commits an upload file (`uploaded` true) with the checksums of what was sent.
    asio::awaitable<document<background_asset_upload_file>>
    update_background_asset_upload_file(std::string id, bool uploaded,
                                        std::optional<checksums> source_file_checksums) {
        background_asset_upload_file_update_request body;
        body.id = std::move(id);
        body.uploaded = uploaded;
        body.source_file_checksums = std::move(source_file_checksums);
        return update_background_asset_upload_file(std::move(body));
    }

    // ---- releases ----
    // 15. GET /v1/backgroundAssetVersionInternalBetaReleases/{id}
    asio::awaitable<document<internal_beta_release>>
    get_internal_beta_release(std::string id, release_query q = release_query());
    // 16. GET /v1/backgroundAssetVersionExternalBetaReleases/{id}
    asio::awaitable<document<external_beta_release>>
    get_external_beta_release(std::string id, release_query q = release_query());
    // 17. GET /v1/backgroundAssetVersionAppStoreReleases/{id}
    asio::awaitable<document<app_store_release>>
    get_app_store_release(std::string id, release_query q = release_query());

    // ---- completion-token twins ----
    template <class CompletionToken = default_token>
    auto async_list_background_assets(std::string app_id,
                                      background_assets_query q = background_assets_query(),
                                      CompletionToken&& token = {}) {
        return run_async(executor(), list_background_assets(std::move(app_id), std::move(q)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_list_background_asset_ids(std::string app_id, linkages_query q = linkages_query(),
                                         CompletionToken&& token = {}) {
        return run_async(executor(), list_background_asset_ids(std::move(app_id), q),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_create_background_asset(background_asset_create_request body,
                                       CompletionToken&& token = {}) {
        return run_async(executor(), create_background_asset(std::move(body)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_get_background_asset(std::string id,
                                    background_asset_query q = background_asset_query(),
                                    CompletionToken&& token = {}) {
        return run_async(executor(), get_background_asset(std::move(id), std::move(q)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_update_background_asset(background_asset_update_request body,
                                       CompletionToken&& token = {}) {
        return run_async(executor(), update_background_asset(std::move(body)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_list_background_asset_versions(
        std::string background_asset_id,
        background_asset_versions_query q = background_asset_versions_query(),
        CompletionToken&& token = {}) {
        return run_async(
            executor(),
            list_background_asset_versions(std::move(background_asset_id), std::move(q)),
            std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_list_background_asset_version_ids(std::string background_asset_id,
                                                 linkages_query q = linkages_query(),
                                                 CompletionToken&& token = {}) {
        return run_async(executor(),
                         list_background_asset_version_ids(std::move(background_asset_id), q),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_create_background_asset_version(background_asset_version_create_request body,
                                               CompletionToken&& token = {}) {
        return run_async(executor(), create_background_asset_version(std::move(body)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_get_background_asset_version(
        std::string id, background_asset_version_query q = background_asset_version_query(),
        CompletionToken&& token = {}) {
        return run_async(executor(), get_background_asset_version(std::move(id), std::move(q)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_list_background_asset_upload_files(
        std::string version_id,
        background_asset_upload_files_query q = background_asset_upload_files_query(),
        CompletionToken&& token = {}) {
        return run_async(executor(),
                         list_background_asset_upload_files(std::move(version_id), std::move(q)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_list_background_asset_upload_file_ids(std::string version_id,
                                                     linkages_query q = linkages_query(),
                                                     CompletionToken&& token = {}) {
        return run_async(executor(),
                         list_background_asset_upload_file_ids(std::move(version_id), q),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_create_background_asset_upload_file(background_asset_upload_file_create_request body,
                                                   CompletionToken&& token = {}) {
        return run_async(executor(), create_background_asset_upload_file(std::move(body)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_get_background_asset_upload_file(
        std::string id, background_asset_upload_file_query q = background_asset_upload_file_query(),
        CompletionToken&& token = {}) {
        return run_async(executor(), get_background_asset_upload_file(std::move(id), std::move(q)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_update_background_asset_upload_file(background_asset_upload_file_update_request body,
                                                   CompletionToken&& token = {}) {
        return run_async(executor(), update_background_asset_upload_file(std::move(body)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_get_internal_beta_release(std::string id, release_query q = release_query(),
                                         CompletionToken&& token = {}) {
        return run_async(executor(), get_internal_beta_release(std::move(id), std::move(q)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_get_external_beta_release(std::string id, release_query q = release_query(),
                                         CompletionToken&& token = {}) {
        return run_async(executor(), get_external_beta_release(std::move(id), std::move(q)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_get_app_store_release(std::string id, release_query q = release_query(),
                                     CompletionToken&& token = {}) {
        return run_async(executor(), get_app_store_release(std::move(id), std::move(q)),
                         std::forward<CompletionToken>(token));
    }

    // The same without a query: a token may follow the id directly.
    template <class CompletionToken>
    requires(!std::is_convertible_v<
             CompletionToken,
             background_assets_query>) auto async_list_background_assets(std::string app_id,
                                                                         CompletionToken&& token) {
        return async_list_background_assets(std::move(app_id), background_assets_query(),
                                            std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    requires(!std::is_convertible_v<
             CompletionToken,
             linkages_query>) auto async_list_background_asset_ids(std::string app_id,
                                                                   CompletionToken&& token) {
        return async_list_background_asset_ids(std::move(app_id), linkages_query(),
                                               std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    requires(!std::is_convertible_v<
             CompletionToken,
             background_asset_query>) auto async_get_background_asset(std::string id,
                                                                      CompletionToken&& token) {
        return async_get_background_asset(std::move(id), background_asset_query(),
                                          std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    requires(
        !std::is_convertible_v<
            CompletionToken,
            background_asset_versions_query>) auto async_list_background_asset_versions(std::string
                                                                                            background_asset_id,
                                                                                        CompletionToken&&
                                                                                            token) {
        return async_list_background_asset_versions(std::move(background_asset_id),
                                                    background_asset_versions_query(),
                                                    std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    requires(
        !std::is_convertible_v<
            CompletionToken,
            linkages_query>) auto async_list_background_asset_version_ids(std::string
                                                                              background_asset_id,
                                                                          CompletionToken&& token) {
        return async_list_background_asset_version_ids(
            std::move(background_asset_id), linkages_query(), std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    requires(
        !std::is_convertible_v<
            CompletionToken,
            background_asset_version_query>) auto async_get_background_asset_version(std::string id,
                                                                                     CompletionToken&&
                                                                                         token) {
        return async_get_background_asset_version(std::move(id), background_asset_version_query(),
                                                  std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    requires(
        !std::is_convertible_v<
            CompletionToken,
            background_asset_upload_files_query>) auto async_list_background_asset_upload_files(std::string
                                                                                                    version_id,
                                                                                                CompletionToken&&
                                                                                                    token) {
        return async_list_background_asset_upload_files(std::move(version_id),
                                                        background_asset_upload_files_query(),
                                                        std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    requires(!std::is_convertible_v<
             CompletionToken,
             linkages_query>) auto async_list_background_asset_upload_file_ids(std::string
                                                                                   version_id,
                                                                               CompletionToken&&
                                                                                   token) {
        return async_list_background_asset_upload_file_ids(std::move(version_id), linkages_query(),
                                                           std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    requires(
        !std::is_convertible_v<
            CompletionToken,
            background_asset_upload_file_query>) auto async_get_background_asset_upload_file(std::string
                                                                                                 id,
                                                                                             CompletionToken&&
                                                                                                 token) {
        return async_get_background_asset_upload_file(std::move(id),
                                                      background_asset_upload_file_query(),
                                                      std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    requires(!std::is_convertible_v<
             CompletionToken, release_query>) auto async_get_internal_beta_release(std::string id,
                                                                                   CompletionToken&&
                                                                                       token) {
        return async_get_internal_beta_release(std::move(id), release_query(),
                                               std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    requires(!std::is_convertible_v<
             CompletionToken, release_query>) auto async_get_external_beta_release(std::string id,
                                                                                   CompletionToken&&
                                                                                       token) {
        return async_get_external_beta_release(std::move(id), release_query(),
                                               std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    requires(!std::is_convertible_v<
             CompletionToken, release_query>) auto async_get_app_store_release(std::string id,
                                                                               CompletionToken&&
                                                                                   token) {
        return async_get_app_store_release(std::move(id), release_query(),
                                           std::forward<CompletionToken>(token));
    }

    // ---- state ----
    // The transport, shared with the upload layer (its requests carry no token).
    http::client& http() noexcept;
    std::shared_ptr<http::client> shared_http() const noexcept;
    auth::token_provider& tokens() noexcept;
    asio::any_io_executor executor() const noexcept;
    const client_config& config() const noexcept;
    // "https://host[:port]" of the API, as the origin check compares it.
    const std::string& api_origin() const noexcept;

    client_stats stats() const;
    rate_limit_status rate_limit() const;

private:
    // Shared with every operation and pager this client starts: each holds a copy.
    std::shared_ptr<detail::client_state> impl_;
};

} // namespace ascpp::api
