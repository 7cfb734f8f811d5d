#include "../detail/backoff.hpp"
#include "query_encoding.hpp"

#include <ascpp/api/client.hpp>
#include <ascpp/api/json.hpp>
#include <ascpp/http/client.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <deque>
#include <iomanip>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>

namespace ascpp::api {

namespace beast_http = boost::beast::http;
using verb = beast_http::verb;
using namespace std::chrono_literals;

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The unit the token is confined to (http::origin_name), or the URL itself when it has none: such
// a URL matches no origin.
std::string origin_of(const boost::urls::url_view& u) {
    try {
        return http::origin_name(u);
    } catch (const http::transport_error&) {
        return std::string(u.buffer());
    }
}

// Links from the server should be valid URIs, but a raw '[' in `filter[...]` is common; encode
// the characters RFC 3986 forbids before parsing instead of failing.
std::optional<boost::urls::url> parse_link(std::string_view link) {
    if (auto r = boost::urls::parse_uri_reference(link); r)
        return boost::urls::url(*r);
    std::string fixed;
    static constexpr char hex[] = "0123456789ABCDEF";
    for (char c : link) {
        auto u = static_cast<unsigned char>(c);
        bool ok = std::isalnum(u) ||
                  std::string_view("-._~:/?#@!$&'()*+,;=%").find(c) != std::string_view::npos;
        if (ok) {
            fixed.push_back(c);
        } else {
            fixed.push_back('%');
            fixed.push_back(hex[u >> 4]);
            fixed.push_back(hex[u & 15]);
        }
    }
    if (auto r = boost::urls::parse_uri_reference(fixed); r)
        return boost::urls::url(*r);
    return std::nullopt;
}

std::string encode_segment(std::string_view s) {
    if (s.empty())
        throw std::invalid_argument("an id must not be empty");
    return boost::urls::encode(s, boost::urls::unreserved_chars);
}

std::string_view trimmed(std::string_view v) {
    while (!v.empty() && v.front() == ' ')
        v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ')
        v.remove_suffix(1);
    return v;
}

// An HTTP-date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view v) {
    v = trimmed(v);
    if (v.empty())
        return std::nullopt;
    std::tm tm{};
    std::istringstream in{std::string(v)};
    in.imbue(std::locale::classic());
    in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S");
    if (in.fail())
        return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// Retry-After: delta-seconds or an HTTP-date.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v) {
    v = trimmed(v);
    if (v.empty())
        return std::nullopt;
    if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (v.size() > 9)
            return std::chrono::hours(24);
        return std::chrono::seconds(std::stoll(std::string(v)));
    }
    auto when = parse_http_date(v);
    if (!when)
        return std::nullopt;
    auto delta = *when - std::chrono::system_clock::now();
    if (delta < 0s)
        return 0ms;
    return std::chrono::duration_cast<std::chrono::milliseconds>(delta);
}

// Header names under which servers report a request id, most specific first.
constexpr std::string_view request_id_headers[] = {"x-request-id", "x-apple-request-uuid",
                                                   "apple-request-id", "x-amzn-requestid"};

std::string request_id_of(const http::response& r) {
    for (auto name : request_id_headers)
        if (auto v = r.header(name); !v.empty())
            return std::string(v.substr(0, 128));
    return {};
}

bool is_connection_failure_before_send(const boost::system::error_code& ec) {
    return ec == http::errc::resolve_failed || ec == http::errc::connect_failed;
}

} // namespace

struct detail::client_state {
    asio::any_io_executor executor;
    client_config config;
    std::shared_ptr<http::client> http;
    std::shared_ptr<auth::token_provider> tokens;
    boost::urls::url base;
    std::string base_path; // without a trailing '/'
    std::string origin;
    std::string origin_display; // scheme://host[:port] as configured

    mutable std::mutex mutex; // guards everything below
    client_stats stats;
    rate_limit_status limit;
    std::uint64_t in_flight = 0;
    std::chrono::steady_clock::time_point next_probe{};
    // This client's requests that may still be in the server's window, oldest first, and when
    // the latest X-Rate-Limit arrived (steady clock). Bounded: entries older than the window
    // (plus the margin) are dropped, and the client sends at most the limit within a window.
    std::deque<std::chrono::steady_clock::time_point> sent_times;
    std::chrono::steady_clock::time_point observed_at{};
    static constexpr std::size_t max_sent_times = 1'000'000;

    std::chrono::steady_clock::duration window() const { return config.rate_limit_window; }
    // How late the server may count a request after it left: its window may hold it this much
    // longer than the client's count says.
    std::chrono::steady_clock::duration window_margin() const {
        return std::max<std::chrono::steady_clock::duration>(config.rate_limit_window / 100,
                                                             std::chrono::milliseconds(250));
    }

    // Under the lock: own requests counted in the last observation that have left the window by
    // `now` (the server surely counted them then, and surely dropped them since), and when the
    // next one will have.
    std::uint64_t freed_by(std::chrono::steady_clock::time_point now,
                           std::chrono::steady_clock::time_point* next) {
        const auto horizon = now - window() - window_margin();
        while (!sent_times.empty() && sent_times.front() <= observed_at - window() &&
               sent_times.front() <= horizon)
            sent_times.pop_front();
        std::uint64_t freed = 0;
        for (auto t : sent_times) {
            if (t <= observed_at - window())
                continue; // already out of the window the observation counted
            if (t > horizon) {
                if (next)
                    *next = t + window() + window_margin();
                break;
            }
            ++freed;
        }
        return freed;
    }

    // When a request left, and how many were in flight then: the server may count those after
    // it, so its response's X-Rate-Limit may leave them out.
    struct budget_ticket {
        std::chrono::steady_clock::time_point sent{};
        std::uint64_t in_flight_before = 0;
    };
    std::chrono::steady_clock::time_point applied_sent{}; // the request of the applied count

    // Under the lock: requests in the last count that were not this client's own (another
    // client of the same key), as far as can be told.
    std::int64_t foreign_in_window() const {
        if (!limit.last || !limit.last->hour_limit || !limit.last->hour_remaining)
            return 0;
        const auto used = *limit.last->hour_limit - *limit.last->hour_remaining;
        const auto first =
            std::upper_bound(sent_times.begin(), sent_times.end(), observed_at - window());
        const auto last = std::upper_bound(sent_times.begin(), sent_times.end(), applied_sent);
        const auto own = last > first ? static_cast<std::int64_t>(last - first) : 0;
        return used - own;
    }

    budget_ticket record_sent(std::chrono::steady_clock::time_point now) {
        budget_ticket t{now, in_flight};
        ++limit.sent_since_observed;
        ++in_flight;
        if (sent_times.size() >= max_sent_times)
            sent_times.pop_front();
        sent_times.push_back(now);
        return t;
    }
    std::mt19937_64 rng{std::random_device{}()};

    bool same_origin(const boost::urls::url_view& u) const { return origin_of(u) == origin; }

    boost::urls::url make_url(std::string_view encoded_path) const {
        boost::urls::url u = base;
        u.set_encoded_path(base_path + std::string(encoded_path));
        u.remove_query();
        u.remove_fragment();
        return u;
    }

    std::chrono::milliseconds backoff(unsigned attempt) {
        const auto& p = config.retry;
        std::lock_guard lock(mutex);
        return ascpp::detail::backoff_delay({p.initial_delay, p.multiplier, p.max_delay}, attempt,
                                            rng);
    }

    // One request per (window / limit) is what a rolling window frees on average.
    std::chrono::milliseconds probe_interval() const {
        if (limit.last && limit.last->hour_limit && *limit.last->hour_limit > 0)
            return std::max<std::chrono::milliseconds>(
                100ms, std::chrono::milliseconds(config.rate_limit_window.count() /
                                                 *limit.last->hour_limit));
        return 1000ms;
    }

    // Keeps requests within the budget the last X-Rate-Limit reported: a request goes when the
    // window has room by that count, plus the requests sent since, minus this client's own
    // requests that have left the window since. Otherwise it waits until the next of its own
    // leaves; when others' requests fill part of the window (when they leave is unknown), one
    // probe goes per (window / limit) to learn whether the window has freed capacity.
    asio::awaitable<budget_ticket> acquire_budget() {
        bool counted_throttle = false;
        for (;;) {
            std::chrono::steady_clock::time_point wait_until;
            {
                std::lock_guard lock(mutex);
                const bool known = limit.last && limit.last->hour_remaining;
                auto now = std::chrono::steady_clock::now();
                if (!config.client_side_rate_limit || !known)
                    co_return record_sent(now);
                auto next_freed = std::chrono::steady_clock::time_point::max();
                limit.freed_since_observed = freed_by(now, &next_freed);
                if (*limit.available() > 0)
                    co_return record_sent(now);
                // Probes only when others' requests fill part of the window (when they leave is
                // not known); a window full of this client's own would answer a probe with 429.
                if ((next_freed == std::chrono::steady_clock::time_point::max() ||
                     foreign_in_window() > 0) &&
                    now >= next_probe) {
                    next_probe = now + probe_interval();
                    co_return record_sent(now);
                }
                wait_until = std::min(next_freed, next_probe);
                if (!counted_throttle) {
                    counted_throttle = true;
                    ++limit.throttled;
                    ++stats.throttled;
                }
            }
            asio::steady_timer timer(co_await asio::this_coro::executor);
            timer.expires_at(wait_until);
            co_await timer.async_wait(asio::use_awaitable);
        }
    }

    void finished(const http::response* r, const budget_ticket& ticket) {
        std::lock_guard lock(mutex);
        if (in_flight > 0)
            --in_flight;
        if (!r)
            return;
        if (auto header = r->header("x-rate-limit"); !header.empty())
            if (auto parsed = parse_rate_limit(header);
                parsed && (!limit.last || ticket.sent >= applied_sent)) {
                // Only a count at least as recent as the one applied (responses overtake each
                // other). It may leave out the requests sent after this one and those that were
                // in flight when it left: they count as sent since.
                limit.last = std::move(parsed);
                limit.observed = std::chrono::system_clock::now();
                observed_at = std::chrono::steady_clock::now();
                applied_sent = ticket.sent;
                const auto later = static_cast<std::uint64_t>(
                    sent_times.end() -
                    std::upper_bound(sent_times.begin(), sent_times.end(), ticket.sent));
                limit.sent_since_observed = ticket.in_flight_before + later;
                limit.freed_since_observed = 0;
                // Spent: the next request waits one probe interval instead of going at once.
                if (limit.last->hour_remaining && *limit.last->hour_remaining <= 0)
                    next_probe =
                        std::max(next_probe, std::chrono::steady_clock::now() + probe_interval());
            }
        if (r->status == 429) {
            ++limit.rate_limited;
            ++stats.rate_limited;
        }
    }

    void count_sent(const std::string& operation, bool retry) {
        std::lock_guard lock(mutex);
        ++stats.requests_sent;
        ++stats.requests_by_operation[operation];
        if (retry)
            ++stats.retries;
    }

    // The token is taken after any wait for budget, so it is fresh when the request leaves.
    http::request make_request(verb method, const boost::urls::url& url,
                               const std::optional<std::string>& body) const {
        http::request req;
        req.method = method;
        req.url = url;
        req.headers.set(beast_http::field::authorization, tokens->authorization());
        req.headers.set(beast_http::field::accept, "application/json");
        req.headers.set(beast_http::field::user_agent, config.user_agent);
        if (body) {
            req.headers.set(beast_http::field::content_type, "application/json");
            req.body = *body;
        }
        // POST creates: the transport must not replay it on a fresh connection by itself.
        req.idempotent = method != verb::post;
        return req;
    }

    void correct_clock(const http::response& resp) {
        auto server = parse_http_date(resp.header("date"));
        if (!server)
            return;
        auto offset =
            std::chrono::round<std::chrono::seconds>(*server - std::chrono::system_clock::now());
        // Within a minute the token's backdating already copes; beyond a day it is no clock.
        if (std::chrono::abs(offset) > 60s && std::chrono::abs(offset) < 24h)
            tokens->set_clock_offset(offset);
    }

    // Sends one API request with auth, budget, retries and error mapping. Returns a 2xx response.
    asio::awaitable<http::response> execute(std::string operation, verb method,
                                            boost::urls::url url, std::optional<std::string> body) {
        if (!same_origin(url))
            throw std::invalid_argument("refusing to send an API request to " + origin_of(url) +
                                        ": the token only goes to " + origin_display);
        const auto& policy = config.retry;
        const unsigned max_attempts = std::max(1u, policy.max_attempts);
        bool renewed_after_401 = false;
        for (unsigned attempt = 1;; ++attempt) {
            const auto ticket = co_await acquire_budget();
            http::request req;
            try {
                req = make_request(method, url, body);
            } catch (...) {
                finished(nullptr, ticket);
                throw;
            }
            count_sent(operation, attempt > 1);
            http::response resp;
            try {
                resp = co_await http->send(std::move(req));
            } catch (const http::transport_error& e) {
                finished(nullptr, ticket);
                const auto ec = e.code();
                const bool may_retry = policy.retry_connection_errors && attempt < max_attempts &&
                                       (method == verb::post ? is_connection_failure_before_send(ec)
                                                             : http::is_transient(ec));
                if (!may_retry)
                    throw;
            }
            if (resp.status != 0) {
                finished(&resp, ticket);
                if (resp.ok())
                    co_return resp;

                if (resp.status == 401 && !renewed_after_401 && attempt < max_attempts) {
                    // A token rejected once (clock skew, key just registered): sign a fresh one,
                    // dated by the API's clock when the Date header shows this machine's is off
                    // by more than the token's backdating covers.
                    renewed_after_401 = true;
                    correct_clock(resp);
                    tokens->invalidate();
                    continue;
                }
                std::optional<std::chrono::milliseconds> delay;
                bool retry = false;
                if (resp.status == 429 && policy.retry_rate_limited && attempt < max_attempts) {
                    retry = true;
                    if (auto ra = parse_retry_after(resp.header("retry-after")))
                        delay = std::min(*ra, policy.max_retry_after);
                } else if (is_transient_status(resp.status) && resp.status != 429 &&
                           method != verb::post && policy.retry_server_errors &&
                           attempt < max_attempts) {
                    retry = true;
                }
                if (!retry) {
                    {
                        std::lock_guard lock(mutex);
                        ++stats.api_errors;
                    }
                    throw api_error(resp.status, operation, request_id_of(resp), resp.body);
                }
                if (delay) {
                    // Honour Retry-After, with a little jitter so clients do not return in step.
                    auto extra = backoff(1) / 10;
                    co_await sleep(*delay + extra);
                    continue;
                }
            }
            co_await sleep(backoff(attempt));
        }
    }

    static asio::awaitable<void> sleep(std::chrono::milliseconds d) {
        if (d <= 0ms)
            co_return;
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(d);
        co_await timer.async_wait(asio::use_awaitable);
    }

    template <class Doc>
    static Doc decode(const http::response& r) {
        boost::system::error_code ec;
        auto v = boost::json::parse(r.body, ec);
        if (ec)
            throw decode_error("", "the response body is not JSON (" + ec.message() + ")");
        return boost::json::value_to<Doc>(v);
    }

    template <class T>
    asio::awaitable<document<T>> get_document(std::string operation, boost::urls::url url) {
        auto r = co_await execute(std::move(operation), verb::get, std::move(url), std::nullopt);
        co_return decode<document<T>>(r);
    }

    template <class T, class Body>
    asio::awaitable<document<T>> write_document(std::string operation, verb method,
                                                boost::urls::url url, const Body& body) {
        auto r = co_await execute(std::move(operation), method, std::move(url),
                                  boost::json::serialize(boost::json::value_from(body)));
        co_return decode<document<T>>(r);
    }

    // Resolves a link against the API base and checks its origin.
    boost::urls::url link_url(const std::string& link) const {
        auto parsed = parse_link(link);
        if (!parsed)
            throw decode_error("/links/next", "not a URL");
        boost::urls::url resolved;
        if (parsed->has_scheme()) {
            resolved = *parsed;
        } else {
            auto r = boost::urls::resolve(base, *parsed, resolved);
            if (!r)
                throw decode_error("/links/next", "cannot resolve the link");
        }
        if (!same_origin(resolved))
            throw decode_error("/links/next", "refusing to follow a link to " +
                                                  origin_of(resolved) +
                                                  ": the API token only "
                                                  "goes to " +
                                                  origin_display);
        return resolved;
    }
};

// ---- construction ----

client::client(asio::any_io_executor ex, client_config config)
    : client(ex, std::move(config), nullptr) {}

client::client(asio::any_io_executor ex, client_config config, std::shared_ptr<http::client> http)
    : impl_(std::make_shared<detail::client_state>()) {
    auto& i = *impl_;
    i.executor = ex;

    auto parsed = boost::urls::parse_absolute_uri(config.base_url);
    if (!parsed)
        throw std::invalid_argument("base_url is not an absolute URL: " + config.base_url);
    i.base = boost::urls::url(*parsed);
    auto scheme = lower(i.base.scheme());
    if ((scheme != "https" && scheme != "http") || i.base.encoded_host().empty())
        throw std::invalid_argument("base_url must be an http(s) URL with a host: " +
                                    config.base_url);
    std::string path(i.base.encoded_path());
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    i.base_path = path;
    i.origin = origin_of(i.base);
    i.origin_display = scheme + "://" + std::string(i.base.encoded_host_and_port());

    if (config.token_provider) {
        i.tokens = config.token_provider;
    } else {
        if (config.key_id.empty())
            throw std::invalid_argument("client_config.key_id is empty");
        std::optional<auth::private_key> key = config.private_key;
        if (!key) {
            if (config.private_key_file.empty())
                throw std::invalid_argument("client_config needs private_key or private_key_file");
            key = auth::private_key::load_file(config.private_key_file);
        }
        auth::token_options options;
        options.key_id = config.key_id;
        options.issuer_id = config.issuer_id;
        options.lifetime = config.token_lifetime;
        options.scope = config.token_scope;
        i.tokens = std::make_shared<auth::token_provider>(std::move(*key), std::move(options));
    }

    if (!http) {
        auto options = config.http;
        if (config.ca_file)
            options.ca_file = config.ca_file;
        http = std::make_shared<http::client>(ex, std::move(options));
    }
    i.http = std::move(http);
    i.config = std::move(config);
    i.config.private_key.reset(); // the provider holds the key; keep no second copy around
}

client::~client() = default;

http::client& client::http() noexcept {
    return *impl_->http;
}
std::shared_ptr<http::client> client::shared_http() const noexcept {
    return impl_->http;
}
auth::token_provider& client::tokens() noexcept {
    return *impl_->tokens;
}
asio::any_io_executor client::executor() const noexcept {
    return impl_->executor;
}
const client_config& client::config() const noexcept {
    return impl_->config;
}
const std::string& client::api_origin() const noexcept {
    return impl_->origin_display;
}

client_stats client::stats() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->stats;
}

rate_limit_status client::rate_limit() const {
    std::lock_guard lock(impl_->mutex);
    auto out = impl_->limit;
    out.freed_since_observed = impl_->freed_by(std::chrono::steady_clock::now(), nullptr);
    out.window = impl_->config.rate_limit_window;
    return out;
}

// ---- paging ----

namespace {
template <class T>
asio::awaitable<page<T>> fetch_page(std::shared_ptr<detail::client_state> self,
                                    std::string operation, std::string url) {
    auto target = self->link_url(url);
    auto r =
        co_await self->execute(std::move(operation), verb::get, std::move(target), std::nullopt);
    co_return detail::client_state::decode<page<T>>(r);
}
} // namespace

template <class T>
asio::awaitable<std::optional<page<T>>> pager<T>::next_page() {
    if (!next_url_)
        co_return std::nullopt;
    const std::string current = *next_url_;
    auto p = co_await fetch_page<T>(state_, operation_, current);
    ++pages_;
    total_ = p.total();
    // A server repeating the same link would loop forever; treat it as the end.
    if (p.links.next && *p.links.next != current)
        next_url_ = *p.links.next;
    else
        next_url_.reset();
    co_return std::optional<page<T>>(std::move(p));
}

template class pager<background_asset>;
template class pager<background_asset_version>;
template class pager<background_asset_upload_file>;
template class pager<resource_identifier>;

// ---- the 17 operations ----

namespace {
constexpr const char* op_list_assets = "apps_backgroundAssets_getToManyRelated";
constexpr const char* op_list_asset_ids = "apps_backgroundAssets_getToManyRelationship";
constexpr const char* op_create_asset = "backgroundAssets_createInstance";
constexpr const char* op_get_asset = "backgroundAssets_getInstance";
constexpr const char* op_update_asset = "backgroundAssets_updateInstance";
constexpr const char* op_list_versions = "backgroundAssets_versions_getToManyRelated";
constexpr const char* op_list_version_ids = "backgroundAssets_versions_getToManyRelationship";
constexpr const char* op_create_version = "backgroundAssetVersions_createInstance";
constexpr const char* op_get_version = "backgroundAssetVersions_getInstance";
constexpr const char* op_list_files =
    "backgroundAssetVersions_backgroundAssetUploadFiles_getToManyRelated";
constexpr const char* op_list_file_ids =
    "backgroundAssetVersions_backgroundAssetUploadFiles_getToManyRelationship";
constexpr const char* op_create_file = "backgroundAssetUploadFiles_createInstance";
constexpr const char* op_get_file = "backgroundAssetUploadFiles_getInstance";
constexpr const char* op_update_file = "backgroundAssetUploadFiles_updateInstance";
constexpr const char* op_get_internal = "backgroundAssetVersionInternalBetaReleases_getInstance";
constexpr const char* op_get_external = "backgroundAssetVersionExternalBetaReleases_getInstance";
constexpr const char* op_get_app_store = "backgroundAssetVersionAppStoreReleases_getInstance";

template <class Impl, class Query>
std::string list_url(const Impl& i, std::string_view path, const Query& q) {
    auto u = i.make_url(path);
    append_query(u, q);
    return std::string(u.buffer());
}
} // namespace

// The operations hold the client's state (a copy of impl_ in each frame), so one started
// before the client was destroyed still finds everything it uses.
namespace {
namespace ops {
asio::awaitable<page<background_asset>>
list_background_assets(std::shared_ptr<detail::client_state> self, std::string app_id,
                       background_assets_query q) {
    auto url = list_url(*self, "/v1/apps/" + encode_segment(app_id) + "/backgroundAssets", q);
    co_return co_await fetch_page<background_asset>(self, op_list_assets, url);
}

asio::awaitable<page<resource_identifier>>
list_background_asset_ids(std::shared_ptr<detail::client_state> self, std::string app_id,
                          linkages_query q) {
    auto url = list_url(
        *self, "/v1/apps/" + encode_segment(app_id) + "/relationships/backgroundAssets", q);
    co_return co_await fetch_page<resource_identifier>(self, op_list_asset_ids, url);
}

asio::awaitable<document<background_asset>>
create_background_asset(std::shared_ptr<detail::client_state> self,
                        background_asset_create_request body) {
    co_return co_await self->write_document<background_asset>(
        op_create_asset, verb::post, self->make_url("/v1/backgroundAssets"), body);
}

asio::awaitable<document<background_asset>>
get_background_asset(std::shared_ptr<detail::client_state> self, std::string id,
                     background_asset_query q) {
    auto url = self->make_url("/v1/backgroundAssets/" + encode_segment(id));
    append_query(url, q);
    co_return co_await self->get_document<background_asset>(op_get_asset, std::move(url));
}

asio::awaitable<document<background_asset>>
update_background_asset(std::shared_ptr<detail::client_state> self,
                        background_asset_update_request body) {
    auto url = self->make_url("/v1/backgroundAssets/" + encode_segment(body.id));
    co_return co_await self->write_document<background_asset>(op_update_asset, verb::patch,
                                                              std::move(url), body);
}

asio::awaitable<page<background_asset_version>>
list_background_asset_versions(std::shared_ptr<detail::client_state> self,
                               std::string background_asset_id, background_asset_versions_query q) {
    auto url = list_url(
        *self, "/v1/backgroundAssets/" + encode_segment(background_asset_id) + "/versions", q);
    co_return co_await fetch_page<background_asset_version>(self, op_list_versions, url);
}

asio::awaitable<page<resource_identifier>>
list_background_asset_version_ids(std::shared_ptr<detail::client_state> self,
                                  std::string background_asset_id, linkages_query q) {
    auto url = list_url(*self,
                        "/v1/backgroundAssets/" + encode_segment(background_asset_id) +
                            "/relationships/versions",
                        q);
    co_return co_await fetch_page<resource_identifier>(self, op_list_version_ids, url);
}

asio::awaitable<document<background_asset_version>>
create_background_asset_version(std::shared_ptr<detail::client_state> self,
                                background_asset_version_create_request body) {
    co_return co_await self->write_document<background_asset_version>(
        op_create_version, verb::post, self->make_url("/v1/backgroundAssetVersions"), body);
}

asio::awaitable<document<background_asset_version>>
get_background_asset_version(std::shared_ptr<detail::client_state> self, std::string id,
                             background_asset_version_query q) {
    auto url = self->make_url("/v1/backgroundAssetVersions/" + encode_segment(id));
    append_query(url, q);
    co_return co_await self->get_document<background_asset_version>(op_get_version, std::move(url));
}

asio::awaitable<page<background_asset_upload_file>>
list_background_asset_upload_files(std::shared_ptr<detail::client_state> self,
                                   std::string version_id, background_asset_upload_files_query q) {
    auto url = list_url(*self,
                        "/v1/backgroundAssetVersions/" + encode_segment(version_id) +
                            "/backgroundAssetUploadFiles",
                        q);
    co_return co_await fetch_page<background_asset_upload_file>(self, op_list_files, url);
}

asio::awaitable<page<resource_identifier>>
list_background_asset_upload_file_ids(std::shared_ptr<detail::client_state> self,
                                      std::string version_id, linkages_query q) {
    auto url = list_url(*self,
                        "/v1/backgroundAssetVersions/" + encode_segment(version_id) +
                            "/relationships/backgroundAssetUploadFiles",
                        q);
    co_return co_await fetch_page<resource_identifier>(self, op_list_file_ids, url);
}

asio::awaitable<document<background_asset_upload_file>>
create_background_asset_upload_file(std::shared_ptr<detail::client_state> self,
                                    background_asset_upload_file_create_request body) {
    if (body.file_size < 1)
        throw std::invalid_argument("file_size must be at least 1 byte");
    co_return co_await self->write_document<background_asset_upload_file>(
        op_create_file, verb::post, self->make_url("/v1/backgroundAssetUploadFiles"), body);
}

asio::awaitable<document<background_asset_upload_file>>
get_background_asset_upload_file(std::shared_ptr<detail::client_state> self, std::string id,
                                 background_asset_upload_file_query q) {
    auto url = self->make_url("/v1/backgroundAssetUploadFiles/" + encode_segment(id));
    append_query(url, q);
    co_return co_await self->get_document<background_asset_upload_file>(op_get_file,
                                                                        std::move(url));
}

asio::awaitable<document<background_asset_upload_file>>
update_background_asset_upload_file(std::shared_ptr<detail::client_state> self,
                                    background_asset_upload_file_update_request body) {
    auto url = self->make_url("/v1/backgroundAssetUploadFiles/" + encode_segment(body.id));
    co_return co_await self->write_document<background_asset_upload_file>(
        op_update_file, verb::patch, std::move(url), body);
}

asio::awaitable<document<internal_beta_release>>
get_internal_beta_release(std::shared_ptr<detail::client_state> self, std::string id,
                          release_query q) {
    auto url =
        self->make_url("/v1/backgroundAssetVersionInternalBetaReleases/" + encode_segment(id));
    append_query(url, q, internal_beta_release::resource_type);
    co_return co_await self->get_document<internal_beta_release>(op_get_internal, std::move(url));
}

asio::awaitable<document<external_beta_release>>
get_external_beta_release(std::shared_ptr<detail::client_state> self, std::string id,
                          release_query q) {
    auto url =
        self->make_url("/v1/backgroundAssetVersionExternalBetaReleases/" + encode_segment(id));
    append_query(url, q, external_beta_release::resource_type);
    co_return co_await self->get_document<external_beta_release>(op_get_external, std::move(url));
}

asio::awaitable<document<app_store_release>>
get_app_store_release(std::shared_ptr<detail::client_state> self, std::string id, release_query q) {
    auto url = self->make_url("/v1/backgroundAssetVersionAppStoreReleases/" + encode_segment(id));
    append_query(url, q, app_store_release::resource_type);
    co_return co_await self->get_document<app_store_release>(op_get_app_store, std::move(url));
}
} // namespace ops
} // namespace

// 1
asio::awaitable<page<background_asset>> client::list_background_assets(std::string app_id,
                                                                       background_assets_query q) {
    return ops::list_background_assets(impl_, std::move(app_id), std::move(q));
}
pager<background_asset> client::paginate_background_assets(std::string app_id,
                                                           background_assets_query q) {
    return {impl_, executor(), op_list_assets,
            list_url(*impl_, "/v1/apps/" + encode_segment(app_id) + "/backgroundAssets", q)};
}
// 2
asio::awaitable<page<resource_identifier>> client::list_background_asset_ids(std::string app_id,
                                                                             linkages_query q) {
    return ops::list_background_asset_ids(impl_, std::move(app_id), std::move(q));
}
pager<resource_identifier> client::paginate_background_asset_ids(std::string app_id,
                                                                 linkages_query q) {
    return {impl_, executor(), op_list_asset_ids,
            list_url(*impl_,
                     "/v1/apps/" + encode_segment(app_id) + "/relationships/backgroundAssets", q)};
}
// 3
asio::awaitable<document<background_asset>>
client::create_background_asset(background_asset_create_request body) {
    return ops::create_background_asset(impl_, std::move(body));
}
// 4
asio::awaitable<document<background_asset>> client::get_background_asset(std::string id,
                                                                         background_asset_query q) {
    return ops::get_background_asset(impl_, std::move(id), std::move(q));
}
// 5
asio::awaitable<document<background_asset>>
client::update_background_asset(background_asset_update_request body) {
    return ops::update_background_asset(impl_, std::move(body));
}
// 6
asio::awaitable<page<background_asset_version>>
client::list_background_asset_versions(std::string background_asset_id,
                                       background_asset_versions_query q) {
    return ops::list_background_asset_versions(impl_, std::move(background_asset_id), std::move(q));
}
pager<background_asset_version>
client::paginate_background_asset_versions(std::string background_asset_id,
                                           background_asset_versions_query q) {
    return {impl_, executor(), op_list_versions,
            list_url(*impl_,
                     "/v1/backgroundAssets/" + encode_segment(background_asset_id) + "/versions",
                     q)};
}
// 7
asio::awaitable<page<resource_identifier>>
client::list_background_asset_version_ids(std::string background_asset_id, linkages_query q) {
    return ops::list_background_asset_version_ids(impl_, std::move(background_asset_id),
                                                  std::move(q));
}
pager<resource_identifier>
client::paginate_background_asset_version_ids(std::string background_asset_id, linkages_query q) {
    return {impl_, executor(), op_list_version_ids,
            list_url(*impl_,
                     "/v1/backgroundAssets/" + encode_segment(background_asset_id) +
                         "/relationships/versions",
                     q)};
}
// 8
asio::awaitable<document<background_asset_version>>
client::create_background_asset_version(background_asset_version_create_request body) {
    return ops::create_background_asset_version(impl_, std::move(body));
}
// 9
asio::awaitable<document<background_asset_version>>
client::get_background_asset_version(std::string id, background_asset_version_query q) {
    return ops::get_background_asset_version(impl_, std::move(id), std::move(q));
}
// 10
asio::awaitable<page<background_asset_upload_file>>
client::list_background_asset_upload_files(std::string version_id,
                                           background_asset_upload_files_query q) {
    return ops::list_background_asset_upload_files(impl_, std::move(version_id), std::move(q));
}
pager<background_asset_upload_file>
client::paginate_background_asset_upload_files(std::string version_id,
                                               background_asset_upload_files_query q) {
    return {impl_, executor(), op_list_files,
            list_url(*impl_,
                     "/v1/backgroundAssetVersions/" + encode_segment(version_id) +
                         "/backgroundAssetUploadFiles",
                     q)};
}
// 11
asio::awaitable<page<resource_identifier>>
client::list_background_asset_upload_file_ids(std::string version_id, linkages_query q) {
    return ops::list_background_asset_upload_file_ids(impl_, std::move(version_id), std::move(q));
}
pager<resource_identifier> client::paginate_background_asset_upload_file_ids(std::string version_id,
                                                                             linkages_query q) {
    return {impl_, executor(), op_list_file_ids,
            list_url(*impl_,
                     "/v1/backgroundAssetVersions/" + encode_segment(version_id) +
                         "/relationships/backgroundAssetUploadFiles",
                     q)};
}
// 12
asio::awaitable<document<background_asset_upload_file>>
client::create_background_asset_upload_file(background_asset_upload_file_create_request body) {
    return ops::create_background_asset_upload_file(impl_, std::move(body));
}
// 13
asio::awaitable<document<background_asset_upload_file>>
client::get_background_asset_upload_file(std::string id, background_asset_upload_file_query q) {
    return ops::get_background_asset_upload_file(impl_, std::move(id), std::move(q));
}
// 14
asio::awaitable<document<background_asset_upload_file>>
client::update_background_asset_upload_file(background_asset_upload_file_update_request body) {
    return ops::update_background_asset_upload_file(impl_, std::move(body));
}
// 15
asio::awaitable<document<internal_beta_release>>
client::get_internal_beta_release(std::string id, release_query q) {
    return ops::get_internal_beta_release(impl_, std::move(id), std::move(q));
}
// 16
asio::awaitable<document<external_beta_release>>
client::get_external_beta_release(std::string id, release_query q) {
    return ops::get_external_beta_release(impl_, std::move(id), std::move(q));
}
// 17
asio::awaitable<document<app_store_release>> client::get_app_store_release(std::string id,
                                                                           release_query q) {
    return ops::get_app_store_release(impl_, std::move(id), std::move(q));
}

} // namespace ascpp::api
