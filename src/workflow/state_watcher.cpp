#include "../detail/transient.hpp"
#include "watch_verdict.hpp"

#include <ascpp/detail/wait_queue.hpp>
#include <ascpp/workflow/state_watcher.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>

namespace ascpp::workflow {

std::string_view to_string(release_channel c) noexcept {
    switch (c) {
    case release_channel::internal_beta:
        return "internal_beta";
    case release_channel::external_beta:
        return "external_beta";
    case release_channel::app_store:
        return "app_store";
    }
    return "unknown";
}

namespace {

using clock = std::chrono::steady_clock;
using namespace asio::experimental::awaitable_operators;

constexpr std::size_t channel_count = 3;

std::size_t index_of(release_channel c) {
    return static_cast<std::size_t>(c);
}

std::string_view release_type(release_channel c) {
    switch (c) {
    case release_channel::internal_beta:
        return api::internal_beta_release_type;
    case release_channel::external_beta:
        return api::external_beta_release_type;
    case release_channel::app_store:
        return api::app_store_release_type;
    }
    return {};
}

// The version relationship (and include name) of a channel's release.
std::string_view release_relationship(release_channel c) {
    switch (c) {
    case release_channel::internal_beta:
        return "internalBetaRelease";
    case release_channel::external_beta:
        return "externalBetaRelease";
    case release_channel::app_store:
        return "appStoreRelease";
    }
    return {};
}

using release_slots = std::array<std::optional<release_status>, channel_count>;

// What one poll learned about one resource. What is large and rare sits behind pointers, so
// that a listing's observation of a version still processing stays small: a pack's snapshot
// holds one per version.
struct observation {
    std::string state;
    std::string version_number;                        // versions
    std::string background_asset_id;                   // versions read on their own, when known
    std::shared_ptr<const api::state_details> details; // when there are some
    // The resource as read, shared: a snapshot and every watch that saw it hold one copy, not
    // one each (a version model is about 2 KB before its strings, and 10,000 watches add up).
    std::shared_ptr<const api::background_asset_upload_file> file;
    std::shared_ptr<const api::background_asset_version> version;
    std::shared_ptr<const release_slots> releases; // versions with a release; release reads

    const std::optional<release_status>& release(release_channel c) const {
        static const std::optional<release_status> none;
        return releases ? (*releases)[static_cast<std::size_t>(c)] : none;
    }
    std::optional<api::state_details> details_copy() const {
        if (!details)
            return std::nullopt;
        return *details;
    }
};

std::shared_ptr<const api::state_details> shared_details(const api::state_details& d) {
    const bool any = (d.errors && !d.errors->empty()) || (d.warnings && !d.warnings->empty()) ||
                     (d.infos && !d.infos->empty());
    return any ? std::make_shared<const api::state_details>(d) : nullptr;
}

using snapshot = std::map<std::string, observation, std::less<>>;

using detail::is_final;
using detail::watch_kind;
using detail::watch_verdict;

std::string resource_type_of(watch_kind k, release_channel c) {
    switch (k) {
    case watch_kind::upload_file:
        return std::string(api::background_asset_upload_file::resource_type);
    case watch_kind::version:
        return std::string(api::background_asset_version::resource_type);
    default:
        return std::string(release_type(c));
    }
}

// Version states in the order a version goes through them; a version never goes back, so a
// listing only needs the states at or after the earliest one a watched version was last seen in.
int version_rank(std::string_view s) {
    if (s == api::background_asset_version_state::awaiting_upload)
        return 0;
    if (s == api::background_asset_version_state::processing)
        return 1;
    if (s == api::background_asset_version_state::complete ||
        s == api::background_asset_version_state::failed)
        return 2;
    return -1;
}

api::state_details details_of(const api::asset_delivery_state& d) {
    api::state_details out;
    out.errors = d.errors;
    out.warnings = d.warnings;
    return out;
}

std::string describe(const std::shared_ptr<const api::state_details>& d) {
    std::string out;
    if (d && d->errors)
        for (const auto& e : *d->errors) {
            out += out.empty() ? ": " : "; ";
            out += e.code.value_or("?");
            if (e.description)
                out += " (" + *e.description + ")";
        }
    return out;
}

template <class Release>
std::optional<release_status> release_of(release_channel channel,
                                         const std::optional<api::to_one_relationship>& rel,
                                         const api::included_resources& included) {
    if (!rel || !rel->data)
        return std::nullopt;
    release_status r;
    r.channel = channel;
    r.id = rel->data->id;
    if (const auto* found = included.find<Release>(rel))
        if (found->attributes && found->attributes->state)
            r.state = found->attributes->state->str();
    return r;
}

// `keep_model`: whether the observation keeps a copy of the version's model (a watch returns
// it); a listing keeps it only for final states unless a watch wants it earlier, since most of
// a waiting watch's memory would otherwise be the model of a version still processing.
// `listing`: read in its pack's listing (its pack is known; not kept).
observation observe_version(const api::background_asset_version& v,
                            const api::included_resources& included, bool keep_model = true,
                            bool listing = false) {
    observation o;
    if (v.attributes) {
        if (v.attributes->state)
            o.state = v.attributes->state->str();
        if (v.attributes->version)
            o.version_number = *v.attributes->version;
        if (v.attributes->state_details)
            o.details = shared_details(*v.attributes->state_details);
    }
    if (v.relationships) {
        const auto& r = *v.relationships;
        release_slots slots;
        slots[0] = release_of<api::internal_beta_release>(release_channel::internal_beta,
                                                          r.internal_beta_release, included);
        slots[1] = release_of<api::external_beta_release>(release_channel::external_beta,
                                                          r.external_beta_release, included);
        slots[2] = release_of<api::app_store_release>(release_channel::app_store,
                                                      r.app_store_release, included);
        if (slots[0] || slots[1] || slots[2])
            o.releases = std::make_shared<const release_slots>(std::move(slots));
        if (!listing && r.background_asset && r.background_asset->data)
            o.background_asset_id = r.background_asset->data->id;
    }
    if (keep_model || version_rank(o.state) == 2)
        o.version = std::make_shared<const api::background_asset_version>(v);
    return o;
}

} // namespace

// ---------------------------------------------------------------------------------------------

struct state_watcher::state : std::enable_shared_from_this<state> {
    struct watched_version {
        std::size_t count = 0;
        std::string number;
        std::string last_state;
        std::array<std::size_t, channel_count> channels{};
    };

    using version_map = std::map<std::string, watched_version, std::less<>>;

    // One shared request target: a pack's version listing, or one resource.
    struct entry {
        entry(std::string k, asio::any_io_executor ex)
            : key(std::move(k)), done(ex), nudged_queue(ex) {}
        std::string key;
        bool listing = false; // a pack's version listing
        watch_kind kind = watch_kind::upload_file;
        std::string id; // pack id for listings, else the resource id
        release_channel channel = release_channel::internal_beta;
        std::array<std::size_t, channel_count> channels{}; // version reads: releases to include
        std::size_t watches = 0;
        version_map versions;         // listings
        std::size_t early_models = 0; // watches that may end on a state that is not final
        std::uint64_t registrations = 0;

        std::shared_ptr<const snapshot> snap;
        std::uint64_t snap_covers = 0; // registrations counted when its request started
        clock::time_point fetched_at{};
        bool in_flight = false;
        std::atomic<std::uint64_t> fetches_done{0};
        std::exception_ptr last_error;
        ascpp::detail::wait_queue done;

        // Notifications (notify): each one that concerns this entry bumps `nudges` and records
        // it under the resource's id (or "*<channel>" for a release of an unknown version).
        // A look that must see the change asks for a snapshot whose request started after it
        // (`required`); `snap_nudges` is `nudges` when the snapshot's request started.
        std::uint64_t nudges = 0;
        std::map<std::string, std::uint64_t, std::less<>> nudged;
        std::uint64_t required = 0;
        std::uint64_t snap_nudges = 0;
        ascpp::detail::wait_queue nudged_queue;
    };

    // A state a notification carried, remembered for the watches that come to it.
    struct pushed_state {
        std::string state;
        std::uint64_t generation = 0;
    };
    static constexpr std::size_t max_pushed = 4096;

    struct registration {
        std::shared_ptr<entry> e;
        std::uint64_t id = 0;
        std::optional<version_map::iterator> version; // listings: its node, until delisted
        std::optional<release_channel> channel;
        bool early_model = false;
    };

    state(api::client& c, watcher_options o)
        : client(c), executor(c.executor()), options(o), rng(std::random_device{}()) {
        const auto& p = options.processing;
        has_estimate =
            p.prior_base.has_value() ||
            (p.prior_at_apple && c.api_origin() == "https://api.appstoreconnect.apple.com");
    }

    // Used only under `mutex` and while the watcher is not `closed`: the client may be destroyed
    // right after the watcher, while this state lives on in the watches and requests under way
    // (an operation, once made, holds the client's state of its own).
    api::client& client;
    asio::any_io_executor executor;
    bool closed = false;
    watcher_options options;
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<entry>, std::less<>> entries;
    std::mt19937_64 rng;

    std::atomic<std::uint64_t> requests{0}, listing_requests{0}, polls{0}, shared_polls{0},
        failed_polls{0}, timed_first_looks{0}, timed_first_looks_done{0}, notifications{0},
        pushed_results{0};
    std::map<std::string, pushed_state, std::less<>> pushed; // by resource id, under `mutex`
    std::deque<std::string> pushed_order;                    // oldest first, to bound `pushed`
    std::uint64_t pushed_generation = 0;
    // Log of the factor the processing prior is scaled by (processing_estimate), under `mutex`.
    double processing_log_scale = 0;
    // Whether there is an estimate to time first looks by: a prior, or a version seen finish.
    bool has_estimate = false;
    std::atomic<std::size_t> active{0};

    registration enlist(watch_kind kind, const std::string& key, const std::string& id,
                        const std::string& version_id, std::optional<release_channel> channel,
                        bool early_model) {
        std::lock_guard lock(mutex);
        auto& slot = entries[key];
        if (!slot) {
            slot = std::make_shared<entry>(key, executor);
            slot->listing = !version_id.empty();
            slot->kind = kind;
            slot->id = id;
            if (channel)
                slot->channel = *channel;
        }
        auto& e = *slot;
        ++e.watches;
        registration r{slot, ++e.registrations, std::nullopt, channel, early_model};
        if (early_model)
            ++e.early_models;
        if (!version_id.empty()) {
            auto it = e.versions.try_emplace(version_id).first;
            r.version = it;
            auto& v = it->second;
            ++v.count;
            if (channel)
                ++v.channels[index_of(*channel)];
        } else if (channel && kind == watch_kind::version) {
            ++e.channels[index_of(*channel)];
        }
        return r;
    }

    void delist(const registration& r) {
        std::lock_guard lock(mutex);
        auto& e = *r.e;
        if (r.early_model)
            --e.early_models;
        if (r.version) {
            auto it = *r.version;
            if (r.channel)
                --it->second.channels[index_of(*r.channel)];
            if (--it->second.count == 0) {
                e.nudged.erase(it->first);
                e.versions.erase(it);
            }
        } else if (r.channel && e.kind == watch_kind::version) {
            --e.channels[index_of(*r.channel)];
        }
        if (--e.watches == 0 && !e.in_flight)
            forget(e);
    }

    // Under the lock.
    void forget(entry& e) {
        if (auto it = entries.find(e.key); it != entries.end() && it->second.get() == &e)
            entries.erase(it);
    }

    // Locks `mutex` for making a client operation; a destroyed watcher makes none.
    std::unique_lock<std::mutex> lock_client() {
        std::unique_lock lock(mutex);
        if (closed)
            throw boost::system::system_error(asio::error::operation_aborted,
                                              "the state_watcher was destroyed");
        return lock;
    }

    void close() {
        std::lock_guard lock(mutex);
        closed = true;
    }

    double budget_factor() {
        api::rate_limit_status status;
        {
            std::lock_guard lock(mutex);
            if (closed)
                return 1.0;
            status = client.rate_limit();
        }
        if (!status.last || !status.last->hour_limit || !status.last->hour_remaining ||
            *status.last->hour_limit <= 0)
            return 1.0;
        double left = static_cast<double>(*status.available());
        double fraction = left / static_cast<double>(*status.last->hour_limit);
        if (fraction >= options.low_budget_fraction)
            return 1.0;
        return std::min(10.0, options.low_budget_fraction / std::max(fraction, 0.02));
    }

    // The prior's shape for `bytes` (the learned scale multiplies it).
    double prior_ms(std::uint64_t bytes) const {
        const auto& p = options.processing;
        return static_cast<double>(p.prior_base.value_or(apple_prior_base).count()) +
               static_cast<double>(p.prior_per_mib.count()) * static_cast<double>(bytes) /
                   (1024.0 * 1024.0);
    }
    static constexpr std::chrono::milliseconds apple_prior_base{180'000};

    // None before a prior or a finished version gave one. `log_scale`: the learned scale it
    // used, for learn_processing.
    std::optional<std::chrono::milliseconds> expected_processing(std::uint64_t bytes,
                                                                 double* log_scale = nullptr) {
        double scale;
        {
            std::lock_guard lock(mutex);
            if (!has_estimate)
                return std::nullopt;
            scale = std::exp(processing_log_scale);
            if (log_scale)
                *log_scale = processing_log_scale;
        }
        return std::chrono::milliseconds(
            static_cast<std::int64_t>(std::max(prior_ms(bytes) * scale, 1.0)));
    }

    // A version that took at least `at_least`: the estimate is no less.
    void raise_estimate(std::uint64_t bytes, std::chrono::milliseconds at_least) {
        const double log_scale = std::clamp(
            std::log(std::max(static_cast<double>(at_least.count()), 1.0) / prior_ms(bytes)), -6.9,
            6.9);
        std::lock_guard lock(mutex);
        processing_log_scale = std::max(processing_log_scale, log_scale);
    }

    // Without an estimate, a version watched from the start of its processing and seen done
    // `elapsed` later (at most that long, at least the look before) gives the first one.
    void learn_first_duration(std::uint64_t bytes, std::chrono::milliseconds elapsed) {
        std::lock_guard lock(mutex);
        if (has_estimate)
            return;
        has_estimate = true;
        processing_log_scale = std::clamp(
            std::log(std::max(static_cast<double>(elapsed.count()), 1.0) / prior_ms(bytes)), -6.9,
            6.9);
    }

    // A timed first look, made with the scale `used`, found the version done or not: the
    // estimate moves so that, in the long run, `quantile` of first looks find it done
    // (stochastic quantile tracking, which needs no more than that yes or no). The step is
    // taken from the scale the look used, not from the current one: looks made at once with
    // the same estimate (a batch's first publishes) say one thing, not one thing each.
    void learn_processing(bool done, double used) {
        const auto& p = options.processing;
        const double q = std::clamp(p.quantile, 0.01, 0.99);
        std::lock_guard lock(mutex);
        if (done)
            processing_log_scale =
                std::min(processing_log_scale, used - p.learning_rate * (1.0 - q));
        else
            processing_log_scale = std::max(processing_log_scale, used + p.learning_rate * q);
        // Within a thousandth and a thousand times the prior: one odd version cannot run away.
        processing_log_scale = std::clamp(processing_log_scale, -6.9, 6.9);
    }

    double jitter_factor(double jitter) {
        std::lock_guard lock(mutex);
        std::uniform_real_distribution<double> f(1.0 - jitter, 1.0 + jitter);
        return f(rng);
    }

    std::chrono::milliseconds jittered(std::chrono::milliseconds d, double jitter) {
        return std::chrono::milliseconds(
            static_cast<std::int64_t>(static_cast<double>(d.count()) * jitter_factor(jitter)));
    }

    void count_request(const std::shared_ptr<std::atomic<std::uint64_t>>& counter) {
        ++requests;
        if (counter)
            ++*counter;
    }

    // ---- notifications ----

    void notify(pushed_change c) {
        std::optional<release_channel> channel;
        for (std::size_t i = 0; i < channel_count; ++i)
            if (c.resource_type == release_type(static_cast<release_channel>(i)))
                channel = static_cast<release_channel>(i);
        const bool version = c.resource_type == api::background_asset_version::resource_type;
        std::vector<std::shared_ptr<entry>> wake;
        {
            std::lock_guard lock(mutex);
            ++notifications;
            if (!c.state.empty()) {
                auto it = pushed.find(c.id);
                if (it == pushed.end()) {
                    if (pushed.size() >= max_pushed) {
                        pushed.erase(pushed_order.front());
                        pushed_order.pop_front();
                    }
                    it = pushed.emplace(c.id, pushed_state{}).first;
                    pushed_order.push_back(c.id);
                } else if (version && version_rank(c.state) < version_rank(it->second.state)) {
                    return; // a late delivery of an earlier state: a version never goes back
                } else if (it->second.state == c.state) {
                    return; // nothing new
                }
                it->second.state = c.state;
                it->second.generation = ++pushed_generation;
            }
            for (auto& [key, e] : entries) {
                std::string concern;
                if (e->listing ? e->versions.count(c.id) > 0 : e->id == c.id) {
                    concern = c.id;
                } else if (channel) {
                    // A release event names the release; find its version in what was seen,
                    // else it concerns every release watch of that channel here.
                    auto c_index = index_of(*channel);
                    bool watched = e->channels[c_index] > 0;
                    for (const auto& [vid, v] : e->versions)
                        watched = watched || v.channels[c_index] > 0;
                    if (!watched)
                        continue;
                    concern = "*" + std::to_string(c_index);
                    if (e->snap)
                        for (const auto& [vid, o] : *e->snap)
                            if (const auto& rel = o.release(*channel); rel && rel->id == c.id)
                                concern = vid;
                }
                if (concern.empty())
                    continue;
                e->nudged[concern] = ++e->nudges;
                wake.push_back(e);
            }
        }
        for (auto& e : wake)
            e->nudged_queue.notify_all();
    }

    // Under the lock: whether a notification since `seen` concerns watch `w` of entry `e`.
    static bool nudged_since(const entry& e, const std::string& id,
                             std::optional<release_channel> channel, std::uint64_t seen) {
        if (auto it = e.nudged.find(id); it != e.nudged.end() && it->second > seen)
            return true;
        if (channel)
            if (auto it = e.nudged.find("*" + std::to_string(index_of(*channel)));
                it != e.nudged.end() && it->second > seen)
                return true;
        return false;
    }

    // ---- the requests ----

    asio::awaitable<snapshot> fetch_listing(const std::string& pack_id,
                                            std::map<std::string, watched_version> watched,
                                            bool early_models,
                                            std::shared_ptr<std::atomic<std::uint64_t>> counter) {
        std::array<bool, channel_count> channels{};
        int earliest = 3;
        bool all_numbered = true;
        for (const auto& [id, v] : watched) {
            for (std::size_t c = 0; c < channel_count; ++c)
                channels[c] = channels[c] || v.channels[c] > 0;
            int rank = v.last_state.empty() ? 0 : version_rank(v.last_state);
            earliest = std::min(earliest, rank < 0 ? 0 : rank);
            all_numbered = all_numbered && !v.number.empty();
        }
        api::background_asset_versions_query q;
        q.fields_background_asset_versions = {"version", "state", "stateDetails"};
        for (std::size_t c = 0; c < channel_count; ++c)
            if (channels[c]) {
                auto ch = static_cast<release_channel>(c);
                q.fields_background_asset_versions.emplace_back(release_relationship(ch));
                q.include.emplace_back(release_relationship(ch));
            }
        if (channels[0])
            q.fields_internal_beta_releases = {"state"};
        if (channels[1])
            q.fields_external_beta_releases = {"state"};
        if (channels[2])
            q.fields_app_store_releases = {"state"};
        // Only the states the watched versions can still be in (a version never goes back).
        if (earliest > 0)
            for (auto s : api::background_asset_version_state::known_values)
                if (version_rank(s) >= earliest)
                    q.filter_state.emplace_back(s);
        // Name the versions when they are few and all known by number.
        if (all_numbered && !watched.empty() && watched.size() <= options.max_versions_in_filter)
            for (const auto& [id, v] : watched)
                q.filter_version.push_back(v.number);
        q.sort = {"-version"};
        q.limit = 200;

        snapshot out;
        auto pages = [&] {
            auto lock = lock_client();
            return client.paginate_background_asset_versions(pack_id, std::move(q));
        }();
        std::size_t found = 0;
        // Newest first: the watched versions are nearly always on the first page.
        for (int n = 0; n < 50 && found < watched.size(); ++n) {
            count_request(counter);
            ++listing_requests;
            auto page = co_await pages.next_page();
            if (!page)
                break;
            for (const auto& v : page->data) {
                auto o = observe_version(v, page->included, early_models, true);
                if (watched.count(v.id))
                    ++found;
                out.emplace(v.id, std::move(o));
            }
            if (!page->has_next())
                break;
        }
        co_return out;
    }

    struct target {
        watch_kind kind = watch_kind::upload_file;
        std::string id;
        release_channel channel = release_channel::internal_beta;
        std::array<std::size_t, channel_count> channels{}; // version reads: releases to include
    };

    asio::awaitable<snapshot> fetch_one(target e,
                                        std::shared_ptr<std::atomic<std::uint64_t>> counter) {
        snapshot out;
        count_request(counter);
        switch (e.kind) {
        case watch_kind::upload_file: {
            asio::awaitable<api::document<api::background_asset_upload_file>> op;
            {
                auto lock = lock_client();
                op = client.get_background_asset_upload_file(e.id);
            }
            auto doc = co_await std::move(op);
            observation o;
            if (doc.data.attributes && doc.data.attributes->asset_delivery_state) {
                const auto& d = *doc.data.attributes->asset_delivery_state;
                if (d.state)
                    o.state = d.state->str();
                o.details = shared_details(details_of(d));
            }
            o.file = std::make_shared<const api::background_asset_upload_file>(std::move(doc.data));
            out.emplace(e.id, std::move(o));
            break;
        }
        case watch_kind::version:
        case watch_kind::release_of_version: {
            api::background_asset_version_query q;
            q.include = {"backgroundAsset"};
            q.fields_background_assets = {"assetPackIdentifier"};
            for (std::size_t c = 0; c < channel_count; ++c)
                if (e.channels[c]) {
                    auto ch = static_cast<release_channel>(c);
                    q.include.emplace_back(release_relationship(ch));
                }
            if (e.channels[0])
                q.fields_internal_beta_releases = {"state"};
            if (e.channels[1])
                q.fields_external_beta_releases = {"state"};
            if (e.channels[2])
                q.fields_app_store_releases = {"state"};
            asio::awaitable<api::document<api::background_asset_version>> op;
            {
                auto lock = lock_client();
                op = client.get_background_asset_version(e.id, std::move(q));
            }
            auto doc = co_await std::move(op);
            out.emplace(e.id, observe_version(doc.data, doc.included));
            break;
        }
        case watch_kind::release_by_id: {
            observation o;
            release_status r;
            r.channel = e.channel;
            r.id = e.id;
            if (e.channel == release_channel::internal_beta) {
                asio::awaitable<api::document<api::internal_beta_release>> op;
                {
                    auto lock = lock_client();
                    op = client.get_internal_beta_release(e.id);
                }
                auto doc = co_await std::move(op);
                if (doc.data.attributes && doc.data.attributes->state)
                    r.state = doc.data.attributes->state->str();
            } else if (e.channel == release_channel::external_beta) {
                asio::awaitable<api::document<api::external_beta_release>> op;
                {
                    auto lock = lock_client();
                    op = client.get_external_beta_release(e.id);
                }
                auto doc = co_await std::move(op);
                if (doc.data.attributes && doc.data.attributes->state)
                    r.state = doc.data.attributes->state->str();
            } else {
                asio::awaitable<api::document<api::app_store_release>> op;
                {
                    auto lock = lock_client();
                    op = client.get_app_store_release(e.id);
                }
                auto doc = co_await std::move(op);
                if (doc.data.attributes && doc.data.attributes->state)
                    r.state = doc.data.attributes->state->str();
            }
            o.state = r.state;
            auto slots = std::make_shared<release_slots>();
            (*slots)[index_of(e.channel)] = std::move(r);
            o.releases = std::move(slots);
            out.emplace(e.id, std::move(o));
            break;
        }
        }
        co_return out;
    }

    // One request for an entry, started by one poll and shared by every poll waiting for it. It
    // runs detached from the polls, so a watch that is cancelled or times out does not take the
    // request away from the others.
    static asio::awaitable<void> run_fetch(std::shared_ptr<state> s, std::shared_ptr<entry> e,
                                           std::shared_ptr<std::atomic<std::uint64_t>> counter) {
        std::uint64_t covers, nudges;
        std::map<std::string, watched_version> watched;
        target t;
        bool early_models = false;
        {
            std::lock_guard lock(s->mutex);
            covers = e->registrations;
            nudges = e->nudges;
            early_models = e->early_models > 0;
            watched.insert(e->versions.begin(), e->versions.end());
            t = {e->kind, e->id, e->channel, e->channels};
        }
        std::exception_ptr error;
        std::optional<snapshot> result;
        try {
            if (!e->listing)
                result = co_await s->fetch_one(std::move(t), counter);
            else if (!watched.empty())
                result =
                    co_await s->fetch_listing(e->id, std::move(watched), early_models, counter);
            else
                result.emplace(); // every watch left before the request started
        } catch (...) {
            error = std::current_exception();
        }
        {
            std::lock_guard lock(s->mutex);
            if (result) {
                for (auto& [id, v] : e->versions)
                    if (auto it = result->find(id); it != result->end()) {
                        v.number = it->second.version_number;
                        v.last_state = it->second.state;
                    }
                e->snap = std::make_shared<const snapshot>(std::move(*result));
                e->snap_covers = covers;
                e->snap_nudges = nudges;
                e->fetched_at = clock::now();
            }
            e->last_error = error;
            e->in_flight = false;
            ++e->fetches_done;
            if (e->watches == 0)
                s->forget(*e);
        }
        e->done.notify_all();
    }

    // The snapshot answering a poll: a recent enough one, the one of a request in flight, or
    // a new request's. Throws the request's error; null when the deadline passed first.
    asio::awaitable<std::shared_ptr<const snapshot>>
    poll(const registration& r, std::chrono::milliseconds max_age, asio::steady_timer& timer,
         clock::time_point deadline, const std::shared_ptr<std::atomic<std::uint64_t>>& counter) {
        auto& e = *r.e;
        bool waited = false, started = false;
        std::uint64_t seen = 0;
        for (;;) {
            bool start = false;
            {
                std::lock_guard lock(mutex);
                bool completed_since = waited && e.fetches_done.load() > seen;
                if (completed_since && e.last_error)
                    std::rethrow_exception(e.last_error);
                if (e.snap && e.snap_covers >= r.id && e.snap_nudges >= e.required &&
                    (completed_since || clock::now() - e.fetched_at <= max_age)) {
                    ++polls;
                    if (!started)
                        ++shared_polls;
                    co_return e.snap;
                }
                seen = e.fetches_done.load();
                if (!e.in_flight) {
                    e.in_flight = true;
                    start = started = true;
                }
            }
            if (start)
                asio::co_spawn(executor, run_fetch(shared_from_this(), r.e, counter),
                               asio::detached);
            auto done = [&e, seen] { return e.fetches_done.load() > seen; };
            if (deadline == clock::time_point::max()) {
                co_await e.done.async_wait_unless(done, asio::use_awaitable);
            } else {
                timer.expires_at(deadline);
                std::size_t winner = 0;
                try {
                    auto w = co_await (e.done.async_wait_unless(done, asio::use_awaitable) ||
                                       timer.async_wait(asio::use_awaitable));
                    winner = w.index();
                } catch (const asio::multiple_exceptions& both) {
                    // One cancellation ended both waits: report it once, as operation_aborted.
                    std::rethrow_exception(both.first_exception());
                }
                if (winner == 1)
                    co_return nullptr;
            }
            waited = true;
        }
    }

    struct watch_spec {
        watch_kind kind;
        std::string id;
        release_channel channel = release_channel::internal_beta;
        std::vector<std::string> targets;
        watch_options options;
    };

    // The state a watch looks at in an observation.
    static std::string watched_state(const watch_spec& w, const observation& o) {
        if (w.kind == watch_kind::release_of_version) {
            const auto& r = o.release(w.channel);
            return r ? r->state : std::string();
        }
        return o.state;
    }

    // What a watch keeps between its looks. A waiting watch is this, its timer and the frame
    // of watch(); the locals of a look live in look()'s frame, which ends with the look.
    struct watch_run {
        clock::time_point deadline = clock::time_point::max();
        std::optional<release_channel> channel; // release_of_version watches
        bool versioned = false;
        bool first_look = false; // the next look is timed from the processing estimate
        unsigned failures = 0;
        std::chrono::milliseconds first_wait{0};
        double scale_used = 0; // the learned scale first_wait was made with
        // When the version's processing started (processing_bytes), to learn its duration, and
        // the last look that found it still processing.
        std::optional<clock::time_point> learn_from;
        std::optional<clock::time_point> seen_processing_at;
        std::chrono::milliseconds interval{0};
        std::string pack_id;
        std::string last_state;
        registration reg;
        // Notifications (changes_pushed): the entry's `nudges` this watch has taken in, and the
        // generation of the pushed state it last used.
        std::uint64_t seen_nudges = 0;
        std::uint64_t used_push = 0;
        bool look = true;   // the next turn looks (else it only sleeps)
        bool fresh = false; // the look must see every notification so far
        bool woken = false; // by a notification
    };

    registration enlist_for(const watch_spec& w, const watch_run& r) {
        const bool early = wants_early_model(w);
        if (r.versioned && !r.pack_id.empty())
            return enlist(watch_kind::version, "listing:" + r.pack_id, r.pack_id, w.id, r.channel,
                          early);
        if (r.versioned)
            return enlist(watch_kind::version, "version:" + w.id, w.id, "", r.channel, early);
        if (w.kind == watch_kind::release_by_id)
            return enlist(w.kind, "release:" + std::string(to_string(w.channel)) + ":" + w.id, w.id,
                          "", w.channel, false);
        return enlist(w.kind, "file:" + w.id, w.id, "", std::nullopt, false);
    }

    // A version watch that may end on a state that is not final needs the version's model
    // from every listing (others take it only from final states).
    static bool wants_early_model(const watch_spec& w) {
        if (w.kind != watch_kind::version)
            return false;
        return std::any_of(w.targets.begin(), w.targets.end(),
                           [&](const std::string& t) { return !is_final(w.kind, w.channel, t); });
    }

    static watch_error timed_out(const watch_spec& w, const watch_run& r) {
        return watch_error(watch_error::reason::timed_out, resource_type_of(w.kind, w.channel),
                           w.id, r.last_state, std::nullopt,
                           resource_type_of(w.kind, w.channel) + " " + w.id + ": timed out" +
                               (r.last_state.empty() ? "" : " in state " + r.last_state));
    }

    // One look and its verdict: what the watch returns when it ends with it, null to go on
    // waiting. Throws what ends the watch otherwise.
    asio::awaitable<std::unique_ptr<observation>> look(const watch_spec& w, watch_run& r,
                                                       asio::steady_timer& timer) {
        std::exception_ptr failure;
        std::optional<observation> seen;
        bool deadline_passed = false;
        try {
            // A timed first look takes only a fresh answer: an older one would find the
            // version as it was before it could be done.
            const auto max_age = r.first_look ? r.first_wait / 20 : r.interval / 2;
            auto snap = co_await poll(r.reg, max_age, timer, r.deadline, w.options.requests);
            if (!snap) {
                deadline_passed = true;
            } else if (auto it = snap->find(w.id); it != snap->end()) {
                seen = it->second;
            } else {
                // Not in its pack's listing (unexpected): read the version itself.
                target one{watch_kind::version, w.id};
                if (r.channel)
                    one.channels[index_of(*r.channel)] = 1;
                auto single = co_await fetch_one(std::move(one), w.options.requests);
                if (auto s = single.find(w.id); s != single.end())
                    seen = s->second;
            }
        } catch (...) {
            failure = std::current_exception();
        }
        if (deadline_passed)
            throw timed_out(w, r);
        const bool was_first_look = r.first_look;
        r.first_look = false;
        if (failure) {
            ++failed_polls;
            if (!ascpp::detail::is_transient_failure(failure) ||
                ++r.failures >= options.max_failed_polls)
                std::rethrow_exception(failure);
            co_return nullptr;
        }
        if (!seen)
            co_return nullptr;
        r.failures = 0;
        auto current = watched_state(w, *seen);
        if (r.learn_from && !current.empty() && is_final(w.kind, w.channel, current)) {
            using ms = std::chrono::milliseconds;
            const auto bytes = *w.options.processing_bytes;
            if (r.first_wait.count() == 0)
                learn_first_duration(bytes,
                                     std::chrono::duration_cast<ms>(clock::now() - *r.learn_from));
            else if (r.seen_processing_at)
                // Its first look came too early: it took at least until the last look that
                // found it processing, and the estimate is no less than that.
                raise_estimate(
                    bytes, std::chrono::duration_cast<ms>(*r.seen_processing_at - *r.learn_from));
            r.learn_from.reset();
        } else if (r.learn_from) {
            r.seen_processing_at = clock::now();
        }
        if (was_first_look) {
            const bool done = !current.empty() && is_final(w.kind, w.channel, current);
            ++timed_first_looks;
            if (done)
                ++timed_first_looks_done;
            learn_processing(done, r.scale_used);
        }
        if (current != r.last_state) {
            r.last_state = current;
            if (w.options.on_state && !current.empty())
                w.options.on_state(current);
        }
        const std::string type = resource_type_of(w.kind, w.channel);
        const auto verdict =
            detail::judge_watch(w.kind, w.channel, w.targets, current, seen->state);
        if (verdict == watch_verdict::reached) {
            if (w.kind == watch_kind::version && !seen->version) {
                // A listing left the model out (no watch wanted this state when it was made):
                // read the version.
                target one{watch_kind::version, w.id};
                auto single = co_await fetch_one(std::move(one), w.options.requests);
                if (auto s = single.find(w.id); s != single.end() && s->second.version)
                    co_return std::make_unique<observation>(std::move(s->second));
                co_return nullptr;
            }
            co_return std::make_unique<observation>(std::move(*seen));
        }
        if (verdict == watch_verdict::unreachable)
            throw watch_error(watch_error::reason::unreachable, type, w.id, current,
                              seen->details_copy(),
                              type + " " + w.id + " ended " + current + describe(seen->details));
        if (verdict == watch_verdict::version_failed)
            throw watch_error(watch_error::reason::unreachable,
                              std::string(api::background_asset_version::resource_type), w.id,
                              seen->state, seen->details_copy(),
                              "version " + w.id + " FAILED" + describe(seen->details));
        // A version read on its own tells its pack: from now on, share its listing.
        if (r.versioned && r.pack_id.empty() && !seen->background_asset_id.empty()) {
            r.pack_id = seen->background_asset_id;
            auto next = enlist_for(w, r);
            delist(r.reg);
            r.reg = std::move(next);
            std::lock_guard lock(mutex);
            r.seen_nudges = r.reg.e->nudges;
        }
        co_return nullptr;
    }

    // What a watch returns when a notified state settled it: the version as last read (if it was)
    // with the new state, else only its id and state.
    observation pushed_observation(const watch_spec& w, const registration& r,
                                   const std::string& st) {
        observation o;
        o.state = st;
        if (w.kind == watch_kind::version) {
            api::background_asset_version v;
            {
                std::lock_guard lock(mutex);
                if (r.e->snap)
                    if (auto it = r.e->snap->find(w.id);
                        it != r.e->snap->end() && it->second.version)
                        v = *it->second.version;
            }
            v.id = w.id;
            if (!v.attributes)
                v.attributes.emplace();
            v.attributes->state = api::background_asset_version_state(st);
            o.version = std::make_shared<const api::background_asset_version>(std::move(v));
        } else {
            auto slots = std::make_shared<release_slots>();
            (*slots)[index_of(w.channel)] = release_status{w.channel, w.id, st};
            o.releases = std::move(slots);
        }
        return o;
    }

    // A notified state for a version or release-by-id watch: the observation that ends the watch
    // when it is a target; otherwise it decides whether the next turn looks (a final state is
    // read for its stateDetails; progress woken by a notification needs no read).
    std::optional<observation> hand_in(const watch_spec& w, watch_run& r) {
        std::optional<pushed_state> p;
        {
            std::lock_guard lock(mutex);
            if (auto it = pushed.find(w.id);
                it != pushed.end() && it->second.generation > r.used_push) {
                p = it->second;
                r.used_push = p->generation;
            }
        }
        if (!p)
            return std::nullopt;
        if (p->state != r.last_state) {
            r.last_state = p->state;
            if (w.options.on_state)
                w.options.on_state(r.last_state);
        }
        const auto verdict = detail::judge_watch(w.kind, w.channel, w.targets, p->state);
        if (verdict == watch_verdict::reached) {
            ++pushed_results;
            return pushed_observation(w, r.reg, p->state);
        }
        if (verdict == watch_verdict::unreachable)
            r.look = r.fresh = true;
        else if (r.woken)
            r.look = r.fresh = false;
        return std::nullopt;
    }

    // Sleeps until `timer` expires or a notification concerning this watch comes (the entry's
    // queue wakes every watch of the entry; the others sleep on). True when notified.
    asio::awaitable<bool> sleep_or_nudged(const watch_spec& w, watch_run& r,
                                          asio::steady_timer& timer) {
        auto& e = *r.reg.e;
        const std::uint64_t since = r.seen_nudges;
        const auto channel = r.channel;
        auto concerned = [this, &e, &w, channel, since] {
            std::lock_guard lock(mutex);
            return nudged_since(e, w.id, channel, since);
        };
        for (;;) {
            std::size_t winner = 0;
            try {
                auto woke =
                    co_await (timer.async_wait(asio::use_awaitable) ||
                              e.nudged_queue.async_wait_unless(concerned, asio::use_awaitable));
                winner = woke.index();
            } catch (const asio::multiple_exceptions& both) {
                std::rethrow_exception(both.first_exception());
            }
            if (winner == 0)
                co_return false;
            if (concerned()) {
                std::lock_guard lock(mutex);
                r.seen_nudges = e.nudges;
                co_return true;
            }
        }
    }

    // A watch, with `extract` taking its result out of the observation that ended it: one
    // coroutine frame per watch holds the result's storage (the public waits are no coroutines
    // of their own).
    template <class R>
    static asio::awaitable<R> watch(std::shared_ptr<state> self, watch_spec w,
                                    R (*extract)(observation&, const watch_spec&)) {
        auto& s = *self;
        ++s.active;
        struct active_guard {
            state& s;
            ~active_guard() { --s.active; }
        } guard{s};

        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer timer(ex);
        const auto policy = w.options.poll.value_or(s.options.poll);
        watch_run r;
        if (w.options.timeout)
            r.deadline = clock::now() + *w.options.timeout;
        r.versioned = w.kind == watch_kind::version || w.kind == watch_kind::release_of_version;
        if (w.kind == watch_kind::release_of_version)
            r.channel = w.channel;
        r.interval = policy.initial;
        auto max_interval = policy.max;

        // A version whose processing starts now: the first look waits for what processing is
        // expected to take, and the looks after it back off from there. Without an estimate yet,
        // the looks follow the policy and the version's end gives the first estimate.
        std::optional<std::chrono::milliseconds> expected;
        if (s.options.timed_first_looks && w.kind == watch_kind::version &&
            w.options.processing_bytes && !w.options.changes_pushed) {
            expected = s.expected_processing(*w.options.processing_bytes, &r.scale_used);
            r.learn_from = clock::now();
        }
        if (expected) {
            r.first_wait = *expected;
            r.first_look = true;
            // The estimate may rise while this look sleeps (other versions' first looks came too
            // early): then it sleeps on to the new one, so that a batch's later versions do not
            // repeat the misses of its first ones. Bounded: the estimate can only rise so often.
            const double factor = s.jitter_factor(policy.jitter / 4) * s.budget_factor();
            for (int retimed = 0; retimed < 8; ++retimed) {
                const auto until =
                    *r.learn_from + std::chrono::milliseconds(static_cast<std::int64_t>(
                                        static_cast<double>(r.first_wait.count()) * factor));
                timer.expires_at(std::min(until, r.deadline));
                co_await timer.async_wait(asio::use_awaitable);
                double scale = 0;
                auto raised = s.expected_processing(*w.options.processing_bytes, &scale);
                if (clock::now() >= r.deadline || !raised || *raised <= r.first_wait)
                    break;
                r.first_wait = *raised;
                r.scale_used = scale;
            }
            const double fraction = std::clamp(s.options.processing.backoff_fraction, 0.01, 10.0);
            r.interval = std::max(policy.initial,
                                  std::chrono::milliseconds(static_cast<std::int64_t>(
                                      static_cast<double>(r.first_wait.count()) * fraction)));
            max_interval = std::max(policy.max, r.first_wait);
        }

        r.pack_id = std::move(w.options.background_asset_id);
        r.reg = s.enlist_for(w, r);
        struct delist_guard {
            state& s;
            registration& r;
            ~delist_guard() { s.delist(r); }
        } delist_on_exit{s, r.reg};

        // With notifications, a version watch may sleep before its first look (the caller knows
        // the version cannot be done before they tell).
        const bool hand_in = w.kind == watch_kind::version || w.kind == watch_kind::release_by_id;
        r.look = w.options.first_look_at_once || !w.options.changes_pushed ||
                 w.kind != watch_kind::version;
        {
            std::lock_guard lock(s.mutex);
            r.seen_nudges = r.reg.e->nudges;
        }
        for (;;) {
            if (hand_in)
                if (auto pushed = s.hand_in(w, r))
                    co_return extract(*pushed, w);
            r.woken = false;
            if (r.look && r.fresh) {
                std::lock_guard lock(s.mutex);
                r.reg.e->required = std::max(r.reg.e->required, r.reg.e->nudges);
            }
            if (r.look)
                if (auto found = co_await s.look(w, r, timer))
                    co_return extract(*found, w);
            r.look = true;
            r.fresh = false;
            auto now = clock::now();
            if (now >= r.deadline)
                throw timed_out(w, r);
            auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                s.jittered(r.interval, policy.jitter) * s.budget_factor());
            if (r.deadline - now < wait)
                wait = std::chrono::duration_cast<std::chrono::milliseconds>(r.deadline - now);
            timer.expires_after(wait);
            if (!w.options.changes_pushed) {
                co_await timer.async_wait(asio::use_awaitable);
            } else if (co_await s.sleep_or_nudged(w, r, timer)) {
                r.look = r.woken = r.fresh = true;
                continue; // the interval stays: this was not a look that found nothing new
            }
            r.interval = std::min(
                max_interval, std::chrono::milliseconds(static_cast<std::int64_t>(
                                  static_cast<double>(r.interval.count()) * policy.multiplier)));
        }
    }
};

namespace {

api::background_asset_upload_file file_of(observation& o, const state_watcher::state::watch_spec&) {
    return *o.file;
}
api::background_asset_version version_of(observation& o, const state_watcher::state::watch_spec&) {
    return *o.version;
}
release_status release_in(observation& o, const state_watcher::state::watch_spec& w) {
    return *o.release(w.channel);
}

} // namespace

state_watcher::state_watcher(api::client& client, watcher_options options)
    : state_(std::make_shared<state>(client, options)) {}

state_watcher::~state_watcher() {
    state_->close();
}

asio::any_io_executor state_watcher::executor() const {
    return state_->client.executor();
}

api::client& state_watcher::client() const noexcept {
    return state_->client;
}

void state_watcher::notify(pushed_change change) {
    state_->notify(std::move(change));
}

std::optional<std::chrono::milliseconds>
state_watcher::expected_processing(std::uint64_t bytes) const {
    return state_->expected_processing(bytes);
}

watcher_stats state_watcher::stats() const {
    watcher_stats s;
    s.requests = state_->requests;
    s.listing_requests = state_->listing_requests;
    s.polls = state_->polls;
    s.shared_polls = state_->shared_polls;
    s.failed_polls = state_->failed_polls;
    s.timed_first_looks = state_->timed_first_looks;
    s.timed_first_looks_done = state_->timed_first_looks_done;
    s.notifications = state_->notifications;
    s.pushed_results = state_->pushed_results;
    s.active_watches = state_->active;
    return s;
}

asio::awaitable<api::background_asset_upload_file> state_watcher::wait_for_upload_file(
    std::string upload_file_id, std::vector<api::delivery_state> targets, watch_options options) {
    state::watch_spec w{watch_kind::upload_file, std::move(upload_file_id)};
    for (auto& t : targets)
        w.targets.push_back(t.str());
    w.options = std::move(options);
    return state::watch<api::background_asset_upload_file>(state_, std::move(w), &file_of);
}

asio::awaitable<api::background_asset_version>
state_watcher::wait_for_version(std::string version_id,
                                std::vector<api::background_asset_version_state> targets,
                                watch_options options) {
    state::watch_spec w{watch_kind::version, std::move(version_id)};
    for (auto& t : targets)
        w.targets.push_back(t.str());
    w.options = std::move(options);
    return state::watch<api::background_asset_version>(state_, std::move(w), &version_of);
}

asio::awaitable<release_status> state_watcher::wait_for_release(std::string version_id,
                                                                release_channel channel,
                                                                std::vector<std::string> targets,
                                                                watch_options options) {
    state::watch_spec w{watch_kind::release_of_version, std::move(version_id), channel,
                        std::move(targets), std::move(options)};
    return state::watch<release_status>(state_, std::move(w), &release_in);
}

asio::awaitable<release_status>
state_watcher::wait_for_release_by_id(release_channel channel, std::string release_id,
                                      std::vector<std::string> targets, watch_options options) {
    state::watch_spec w{watch_kind::release_by_id, std::move(release_id), channel,
                        std::move(targets), std::move(options)};
    return state::watch<release_status>(state_, std::move(w), &release_in);
}

} // namespace ascpp::workflow
