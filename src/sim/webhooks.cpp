#include "webhooks.hpp"

#include "encoding.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace ascpp::sim {

namespace json = boost::json;

namespace {

const char* const all_event_types[] = {
    "BACKGROUND_ASSET_VERSION_STATE_UPDATED",
    "BACKGROUND_ASSET_VERSION_INTERNAL_BETA_RELEASE_CREATED",
    "BACKGROUND_ASSET_VERSION_EXTERNAL_BETA_RELEASE_STATE_UPDATED",
    "BACKGROUND_ASSET_VERSION_APP_STORE_RELEASE_STATE_UPDATED",
};

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    if (d.count() <= 0)
        co_return;
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

// What a forged delivery claims instead: the worst news it could carry.
std::string forged_state(const state_change& c) {
    if (!c.channel)
        return "FAILED";
    return *c.channel == release_channel::internal_beta ? "SUPERSEDED" : "REJECTED";
}

std::string event_body(const state_change& c, const std::string& type, const std::string& state,
                       const std::string& api_base, sys_time now) {
    json::object attributes;
    attributes["oldValue"] = c.old_state.empty() ? json::value(nullptr) : json::value(c.old_state);
    attributes["newValue"] = state;
    attributes["timestamp"] = format_date_time(now);
    json::object instance{
        {"data", json::object{{"type", c.resource_type}, {"id", c.id}}},
        {"links", json::object{{"self", api_base + "/v1/" + c.resource_type + "/" + c.id}}}};
    json::object data{{"type", type},
                      {"id", random_uuid()},
                      {"version", 1},
                      {"attributes", std::move(attributes)},
                      {"relationships", json::object{{"instance", std::move(instance)}}}};
    return json::serialize(json::object{{"data", std::move(data)}});
}

} // namespace

std::string webhook_event_type(const state_change& c) {
    if (!c.channel)
        return all_event_types[0];
    switch (*c.channel) {
    case release_channel::internal_beta:
        return c.created ? all_event_types[1] : std::string();
    case release_channel::external_beta:
        return all_event_types[2];
    case release_channel::app_store:
        return all_event_types[3];
    }
    return {};
}

webhook_dispatcher::webhook_dispatcher(service& svc, std::optional<std::filesystem::path> ca_file)
    : svc_(svc) {
    ascpp::http::client_options o;
    o.ca_file = std::move(ca_file);
    o.request_timeout = std::chrono::seconds(15);
    o.connect_timeout = std::chrono::seconds(5);
    o.proxy_from_environment = false;
    client_ = std::make_unique<ascpp::http::client>(svc.io.get_executor(), o);
}

std::string webhook_dispatcher::add(webhook_config config) {
    auto url = boost::urls::parse_absolute_uri(config.url);
    if (!url || (url->scheme() != "https" && url->scheme() != "http") || url->host().empty())
        throw std::invalid_argument("a webhook URL must be an absolute http(s) URL: '" +
                                    config.url + "'");
    if (config.secret.empty())
        throw std::invalid_argument("a webhook needs a secret");
    for (auto& t : config.event_types) {
        bool known = false;
        for (auto* k : all_event_types)
            known = known || t == k;
        if (!known)
            throw std::invalid_argument("unknown webhook event type '" + t + "'");
    }
    std::lock_guard lock(mutex_);
    auto id = random_uuid();
    hooks_.emplace(id, hook{std::move(config), std::nullopt, 0});
    return id;
}

void webhook_dispatcher::remove(std::string_view id) {
    std::lock_guard lock(mutex_);
    if (auto it = hooks_.find(id); it != hooks_.end())
        hooks_.erase(it);
}

std::vector<std::pair<std::string, webhook_config>> webhook_dispatcher::list() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, webhook_config>> out;
    for (auto& [id, h] : hooks_)
        out.emplace_back(id, h.config);
    return out;
}

std::string webhook_dispatcher::sign(std::string_view secret, std::string_view body) const {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), md, &len);
    return svc_.options.webhook_signature_prefix + hex_lower({md, len});
}

void webhook_dispatcher::on_change(const state_change& c) {
    const auto type = webhook_event_type(c);
    if (type.empty() || svc_.stopping)
        return;
    const auto now = std::chrono::system_clock::now() + svc_.options.clock_offset;
    std::lock_guard lock(mutex_);
    for (auto& [id, h] : hooks_) {
        if (!h.config.enabled)
            continue;
        if (!h.config.event_types.empty() &&
            std::find(h.config.event_types.begin(), h.config.event_types.end(), type) ==
                h.config.event_types.end())
            continue;
        auto plan = svc_.faults.plan_delivery();
        for (auto k : plan.applied)
            svc_.stats.fault(k);
        svc_.stats.webhook_delivery();
        auto self = shared_from_this();
        if (plan.forged) {
            delivery forged{id, h.config.url,
                            event_body(c, type, forged_state(c), svc_.api_base, now), ""};
            forged.signature = sign(h.config.secret + "-forged", forged.body);
            forged.forged = true;
            asio::co_spawn(svc_.io, send(self, std::move(forged), {}, std::nullopt),
                           asio::detached);
        }
        if (plan.drop)
            continue;
        delivery d{id, h.config.url, event_body(c, type, c.new_state, svc_.api_base, now), ""};
        d.signature = sign(h.config.secret, d.body);
        if (plan.reorder) {
            // Held back; a delivery already held goes now, so at most one waits per webhook.
            std::optional<delivery> earlier = std::move(h.held);
            h.held = std::move(d);
            h.held_serial = ++next_serial_;
            if (earlier)
                asio::co_spawn(svc_.io, send(self, std::move(*earlier), {}, std::nullopt),
                               asio::detached);
            asio::co_spawn(svc_.io, release_held(self, id, h.held_serial, plan.hold),
                           asio::detached);
            continue;
        }
        std::optional<delivery> then = std::move(h.held);
        h.held.reset();
        if (plan.duplicate)
            asio::co_spawn(svc_.io, send(self, d, plan.latency, std::nullopt), asio::detached);
        asio::co_spawn(svc_.io, send(self, std::move(d), plan.latency, std::move(then)),
                       asio::detached);
    }
}

asio::awaitable<void> webhook_dispatcher::release_held(std::shared_ptr<webhook_dispatcher> self,
                                                       std::string hook_id, std::uint64_t serial,
                                                       std::chrono::milliseconds after) {
    co_await sleep_for(after);
    std::optional<delivery> d;
    {
        std::lock_guard lock(self->mutex_);
        auto it = self->hooks_.find(hook_id);
        if (it == self->hooks_.end() || !it->second.held || it->second.held_serial != serial)
            co_return;
        d = std::move(it->second.held);
        it->second.held.reset();
    }
    co_await send(self, std::move(*d), {}, std::nullopt);
}

asio::awaitable<bool> webhook_dispatcher::post_once(const delivery& d) {
    ascpp::http::request r;
    r.method = beast::http::verb::post;
    r.url = boost::urls::url(d.url);
    r.headers.set(beast::http::field::content_type, "application/json");
    r.headers.set(beast::http::field::user_agent, "ascpp-sim webhooks");
    r.headers.set(svc_.options.webhook_signature_header, d.signature);
    r.body = d.body;
    r.idempotent = false;
    svc_.stats.webhook_post();
    try {
        auto res = co_await client_->send(std::move(r));
        if (res.ok()) {
            svc_.stats.webhook_acknowledged();
            co_return true;
        }
    } catch (const std::exception&) {
    }
    svc_.stats.webhook_failed_post();
    co_return false;
}

asio::awaitable<void> webhook_dispatcher::send(std::shared_ptr<webhook_dispatcher> self, delivery d,
                                               std::chrono::milliseconds delay,
                                               std::optional<delivery> then) {
    co_await sleep_for(delay);
    auto backoff = self->svc_.options.webhook_retry_delay;
    bool sent = false;
    for (unsigned attempt = 1; !self->svc_.stopping; ++attempt) {
        sent = co_await self->post_once(d);
        if (sent || d.forged || attempt >= std::max(1u, self->svc_.options.webhook_attempts))
            break;
        co_await sleep_for(backoff);
        backoff *= 2;
    }
    if (!sent && !d.forged && !self->svc_.stopping)
        self->svc_.stats.webhook_abandoned();
    if (then)
        co_await send(self, std::move(*then), {}, std::nullopt);
}

void webhook_dispatcher::close() {
    client_.reset();
}

} // namespace ascpp::sim
