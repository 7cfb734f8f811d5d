#include <ascpp/http/error.hpp>
#include <ascpp/upload/detail/wait_queue.hpp>
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

// What one poll learned about one resource.
struct observation {
    std::string state;
    std::string version_number;      // versions
    std::string background_asset_id; // versions read on their own, when known
    std::optional<api::state_details> details;
    // The resource as read, shared: a snapshot and every watch that saw it hold one copy, not
    // one each (a version model is about 2 KB before its strings, and 10,000 watches add up).
    std::shared_ptr<const api::background_asset_upload_file> file;
    std::shared_ptr<const api::background_asset_version> version;
    std::array<std::optional<release_status>, channel_count> releases; // versions
};

using snapshot = std::map<std::string, observation, std::less<>>;

enum class watch_kind { upload_file, version, release_of_version, release_by_id };

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

bool is_final(watch_kind kind, release_channel channel, std::string_view s) {
    switch (kind) {
    case watch_kind::upload_file:
        return s == api::delivery_state::complete || s == api::delivery_state::failed;
    case watch_kind::version:
        return s == api::background_asset_version_state::complete ||
               s == api::background_asset_version_state::failed;
    case watch_kind::release_of_version:
    case watch_kind::release_by_id:
        if (s == "SUPERSEDED")
            return true;
        return channel != release_channel::internal_beta && s == "REJECTED";
    }
    return false;
}

api::state_details details_of(const api::asset_delivery_state& d) {
    api::state_details out;
    out.errors = d.errors;
    out.warnings = d.warnings;
    return out;
}

std::string describe(const std::optional<api::state_details>& d) {
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

observation observe_version(const api::background_asset_version& v,
                            const api::included_resources& included) {
    observation o;
    if (v.attributes) {
        if (v.attributes->state)
            o.state = v.attributes->state->str();
        if (v.attributes->version)
            o.version_number = *v.attributes->version;
        o.details = v.attributes->state_details;
    }
    if (v.relationships) {
        const auto& r = *v.relationships;
        o.releases[0] = release_of<api::internal_beta_release>(release_channel::internal_beta,
                                                               r.internal_beta_release, included);
        o.releases[1] = release_of<api::external_beta_release>(release_channel::external_beta,
                                                               r.external_beta_release, included);
        o.releases[2] = release_of<api::app_store_release>(release_channel::app_store,
                                                           r.app_store_release, included);
        if (r.background_asset && r.background_asset->data)
            o.background_asset_id = r.background_asset->data->id;
    }
    o.version = std::make_shared<const api::background_asset_version>(v);
    return o;
}

bool is_retryable_poll_failure(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const api::api_error& err) {
        return err.status() == 429 || err.status() >= 500;
    } catch (const http::transport_error& err) {
        return err.code() != http::errc::cancelled;
    } catch (...) {
        return false;
    }
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
        std::map<std::string, watched_version, std::less<>> versions; // listings
        std::uint64_t registrations = 0;

        std::shared_ptr<const snapshot> snap;
        std::uint64_t snap_covers = 0; // registrations counted when its request started
        clock::time_point fetched_at{};
        bool in_flight = false;
        std::atomic<std::uint64_t> fetches_done{0};
        std::exception_ptr last_error;
        upload::detail::wait_queue done;

        // Notifications (notify): each one that concerns this entry bumps `nudges` and records
        // it under the resource's id (or "*<channel>" for a release of an unknown version).
        // A look that must see the change asks for a snapshot whose request started after it
        // (`required`); `snap_nudges` is `nudges` when the snapshot's request started.
        std::uint64_t nudges = 0;
        std::map<std::string, std::uint64_t, std::less<>> nudged;
        std::uint64_t required = 0;
        std::uint64_t snap_nudges = 0;
        upload::detail::wait_queue nudged_queue;
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
        std::string version_id; // listings
        std::optional<release_channel> channel;
    };

    state(api::client& c, watcher_options o) : client(c), options(o), rng(std::random_device{}()) {}

    api::client& client;
    watcher_options options;
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<entry>, std::less<>> entries;
    std::mt19937_64 rng;

    std::atomic<std::uint64_t> requests{0}, listing_requests{0}, polls{0}, shared_polls{0},
        failed_polls{0}, notifications{0}, pushed_results{0};
    std::map<std::string, pushed_state, std::less<>> pushed; // by resource id
    std::deque<std::string> pushed_order;                    // oldest first, to bound `pushed`
    std::uint64_t pushed_generation = 0;
    std::atomic<std::size_t> active{0};

    registration enlist(watch_kind kind, const std::string& key, const std::string& id,
                        const std::string& version_id, std::optional<release_channel> channel) {
        std::lock_guard lock(mutex);
        auto& slot = entries[key];
        if (!slot) {
            slot = std::make_shared<entry>(key, client.executor());
            slot->listing = !version_id.empty();
            slot->kind = kind;
            slot->id = id;
            if (channel)
                slot->channel = *channel;
        }
        auto& e = *slot;
        ++e.watches;
        registration r{slot, ++e.registrations, version_id, channel};
        if (!version_id.empty()) {
            auto& v = e.versions[version_id];
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
        if (!r.version_id.empty()) {
            if (auto it = e.versions.find(r.version_id); it != e.versions.end()) {
                if (r.channel)
                    --it->second.channels[index_of(*r.channel)];
                if (--it->second.count == 0) {
                    e.nudged.erase(it->first);
                    e.versions.erase(it);
                }
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

    double budget_factor() const {
        auto status = client.rate_limit();
        if (!status.last || !status.last->hour_limit || !status.last->hour_remaining ||
            *status.last->hour_limit <= 0)
            return 1.0;
        double left = static_cast<double>(*status.last->hour_remaining) -
                      static_cast<double>(status.sent_since_observed);
        double fraction = left / static_cast<double>(*status.last->hour_limit);
        if (fraction >= options.low_budget_fraction)
            return 1.0;
        return std::min(10.0, options.low_budget_fraction / std::max(fraction, 0.02));
    }

    std::chrono::milliseconds jittered(std::chrono::milliseconds d, double jitter) {
        std::lock_guard lock(mutex);
        std::uniform_real_distribution<double> f(1.0 - jitter, 1.0 + jitter);
        return std::chrono::milliseconds(
            static_cast<std::int64_t>(static_cast<double>(d.count()) * f(rng)));
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
                            if (o.releases[c_index] && o.releases[c_index]->id == c.id)
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
        auto pages = client.paginate_background_asset_versions(pack_id, std::move(q));
        std::size_t found = 0;
        // Newest first: the watched versions are nearly always on the first page.
        for (int n = 0; n < 50 && found < watched.size(); ++n) {
            count_request(counter);
            ++listing_requests;
            auto page = co_await pages.next_page();
            if (!page)
                break;
            for (const auto& v : page->data) {
                auto o = observe_version(v, page->included);
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
            auto doc = co_await client.get_background_asset_upload_file(e.id);
            observation o;
            if (doc.data.attributes && doc.data.attributes->asset_delivery_state) {
                const auto& d = *doc.data.attributes->asset_delivery_state;
                if (d.state)
                    o.state = d.state->str();
                o.details = details_of(d);
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
            auto doc = co_await client.get_background_asset_version(e.id, std::move(q));
            out.emplace(e.id, observe_version(doc.data, doc.included));
            break;
        }
        case watch_kind::release_by_id: {
            observation o;
            release_status r;
            r.channel = e.channel;
            r.id = e.id;
            if (e.channel == release_channel::internal_beta) {
                auto doc = co_await client.get_internal_beta_release(e.id);
                if (doc.data.attributes && doc.data.attributes->state)
                    r.state = doc.data.attributes->state->str();
            } else if (e.channel == release_channel::external_beta) {
                auto doc = co_await client.get_external_beta_release(e.id);
                if (doc.data.attributes && doc.data.attributes->state)
                    r.state = doc.data.attributes->state->str();
            } else {
                auto doc = co_await client.get_app_store_release(e.id);
                if (doc.data.attributes && doc.data.attributes->state)
                    r.state = doc.data.attributes->state->str();
            }
            o.state = r.state;
            o.releases[index_of(e.channel)] = std::move(r);
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
        {
            std::lock_guard lock(s->mutex);
            covers = e->registrations;
            nudges = e->nudges;
            watched.insert(e->versions.begin(), e->versions.end());
            t = {e->kind, e->id, e->channel, e->channels};
        }
        std::exception_ptr error;
        std::optional<snapshot> result;
        try {
            if (!e->listing)
                result = co_await s->fetch_one(std::move(t), counter);
            else if (!watched.empty())
                result = co_await s->fetch_listing(e->id, std::move(watched), counter);
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
                asio::co_spawn(client.executor(), run_fetch(shared_from_this(), r.e, counter),
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
            const auto& r = o.releases[index_of(w.channel)];
            return r ? r->state : std::string();
        }
        return o.state;
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
            o.releases[index_of(w.channel)] = release_status{w.channel, w.id, st};
        }
        return o;
    }

    asio::awaitable<observation> watch(watch_spec w) {
        auto self = shared_from_this();
        ++active;
        struct active_guard {
            state& s;
            ~active_guard() { --s.active; }
        } guard{*this};

        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer timer(ex);
        const auto policy = w.options.poll.value_or(options.poll);
        const auto deadline =
            w.options.timeout ? clock::now() + *w.options.timeout : clock::time_point::max();
        const std::string type = resource_type_of(w.kind, w.channel);
        std::string what = type + " " + w.id;
        auto counter = w.options.requests;
        const bool versioned =
            w.kind == watch_kind::version || w.kind == watch_kind::release_of_version;
        std::optional<release_channel> channel;
        if (w.kind == watch_kind::release_of_version)
            channel = w.channel;

        std::string pack_id = w.options.background_asset_id;
        auto enlist_for = [&]() {
            if (versioned && !pack_id.empty())
                return enlist(watch_kind::version, "listing:" + pack_id, pack_id, w.id, channel);
            if (versioned)
                return enlist(watch_kind::version, "version:" + w.id, w.id, "", channel);
            if (w.kind == watch_kind::release_by_id)
                return enlist(w.kind, "release:" + std::string(to_string(w.channel)) + ":" + w.id,
                              w.id, "", w.channel);
            return enlist(w.kind, "file:" + w.id, w.id, "", std::nullopt);
        };
        registration reg = enlist_for();
        std::uint64_t seen_nudges = 0, used_push = 0;
        {
            std::lock_guard lock(mutex);
            seen_nudges = reg.e->nudges;
        }
        struct delist_guard {
            state& s;
            registration& r;
            ~delist_guard() { s.delist(r); }
        } delist_on_exit{*this, reg};

        auto interval = policy.initial;
        unsigned failures = 0;
        std::string last_state;
        auto timed_out = [&] {
            return watch_error(watch_error::reason::timed_out, type, w.id, last_state, std::nullopt,
                               what + ": timed out" +
                                   (last_state.empty() ? "" : " in state " + last_state));
        };
        // A notified state settles a version or release-by-id watch without a request when it
        // is a target, and tells of progress when it is not final; anything else is looked at.
        const bool hand_in = w.kind == watch_kind::version || w.kind == watch_kind::release_by_id;
        bool look = w.options.first_look_at_once || !w.options.changes_pushed ||
                    w.kind != watch_kind::version;
        bool fresh = false; // the look must see every notification so far
        bool woken = false; // by a notification
        for (;;) {
            if (hand_in) {
                std::optional<pushed_state> p;
                {
                    std::lock_guard lock(mutex);
                    if (auto it = pushed.find(w.id);
                        it != pushed.end() && it->second.generation > used_push) {
                        p = it->second;
                        used_push = p->generation;
                    }
                }
                if (p) {
                    if (p->state != last_state) {
                        last_state = p->state;
                        if (w.options.on_state)
                            w.options.on_state(last_state);
                    }
                    if (std::find(w.targets.begin(), w.targets.end(), p->state) !=
                        w.targets.end()) {
                        ++pushed_results;
                        co_return pushed_observation(w, reg, p->state);
                    }
                    if (is_final(w.kind, w.channel, p->state))
                        look = fresh = true; // read it, for its stateDetails
                    else if (woken)
                        look = fresh = false; // progress only: nothing to read
                }
            }
            woken = false;
            if (look && fresh) {
                std::lock_guard lock(mutex);
                reg.e->required = std::max(reg.e->required, reg.e->nudges);
            }
            // One poll and its verdict, in a block of its own so that what it saw (and the
            // snapshot that holds it) is released before the watch sleeps.
            if (look) {
                std::exception_ptr failure;
                std::optional<observation> seen;
                bool deadline_passed = false;
                try {
                    auto snap = co_await poll(reg, interval / 2, timer, deadline, counter);
                    if (!snap) {
                        deadline_passed = true;
                    } else if (auto it = snap->find(w.id); it != snap->end()) {
                        seen = it->second;
                    } else {
                        // Not in its pack's listing (unexpected): read the version itself.
                        target one{watch_kind::version, w.id};
                        if (channel)
                            one.channels[index_of(*channel)] = 1;
                        auto single = co_await fetch_one(std::move(one), counter);
                        if (auto s = single.find(w.id); s != single.end())
                            seen = s->second;
                    }
                } catch (...) {
                    failure = std::current_exception();
                }
                if (deadline_passed)
                    throw timed_out();

                if (failure) {
                    ++failed_polls;
                    if (!is_retryable_poll_failure(failure) ||
                        ++failures >= options.max_failed_polls)
                        std::rethrow_exception(failure);
                } else if (seen) {
                    failures = 0;
                    auto current = watched_state(w, *seen);
                    if (current != last_state) {
                        last_state = current;
                        if (w.options.on_state && !current.empty())
                            w.options.on_state(current);
                    }
                    if (!current.empty() &&
                        std::find(w.targets.begin(), w.targets.end(), current) != w.targets.end())
                        co_return std::move(*seen);
                    if (!current.empty() && is_final(w.kind, w.channel, current))
                        throw watch_error(watch_error::reason::unreachable, type, w.id, current,
                                          seen->details,
                                          what + " ended " + current + describe(seen->details));
                    if (w.kind == watch_kind::release_of_version &&
                        seen->state == api::background_asset_version_state::failed)
                        throw watch_error(watch_error::reason::unreachable,
                                          std::string(api::background_asset_version::resource_type),
                                          w.id, seen->state, seen->details,
                                          "version " + w.id + " FAILED" + describe(seen->details));
                    // A version read on its own tells its pack: from now on, share its listing.
                    if (versioned && pack_id.empty() && !seen->background_asset_id.empty()) {
                        pack_id = seen->background_asset_id;
                        auto next = enlist_for();
                        delist(reg);
                        reg = std::move(next);
                        std::lock_guard lock(mutex);
                        seen_nudges = reg.e->nudges;
                    }
                }
            }
            look = true;
            fresh = false;

            auto now = clock::now();
            if (now >= deadline)
                throw timed_out();
            auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                jittered(interval, policy.jitter) * budget_factor());
            if (deadline - now < wait)
                wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
            timer.expires_after(wait);
            if (w.options.changes_pushed) {
                // Sleep until the interval ends or a notification concerning this watch comes.
                // The entry's queue wakes every watch of the entry; the others sleep on.
                auto& e = *reg.e;
                const std::uint64_t since = seen_nudges;
                auto concerned = [this, &e, &w, channel, since] {
                    std::lock_guard lock(mutex);
                    return nudged_since(e, w.id, channel, since);
                };
                bool notified = false;
                for (;;) {
                    std::size_t winner = 0;
                    try {
                        auto r = co_await (
                            timer.async_wait(asio::use_awaitable) ||
                            e.nudged_queue.async_wait_unless(concerned, asio::use_awaitable));
                        winner = r.index();
                    } catch (const asio::multiple_exceptions& both) {
                        std::rethrow_exception(both.first_exception());
                    }
                    if (winner == 0)
                        break;
                    if (concerned()) {
                        notified = true;
                        break;
                    }
                }
                if (notified) {
                    std::lock_guard lock(mutex);
                    seen_nudges = e.nudges;
                    look = woken = fresh = true;
                    continue; // the interval stays: this was not a poll that found nothing new
                }
            } else {
                co_await timer.async_wait(asio::use_awaitable);
            }
            interval = std::min(policy.max,
                                std::chrono::milliseconds(static_cast<std::int64_t>(
                                    static_cast<double>(interval.count()) * policy.multiplier)));
        }
    }
};

state_watcher::state_watcher(api::client& client, watcher_options options)
    : state_(std::make_shared<state>(client, options)) {}

state_watcher::~state_watcher() = default;

asio::any_io_executor state_watcher::executor() const {
    return state_->client.executor();
}

api::client& state_watcher::client() const noexcept {
    return state_->client;
}

void state_watcher::notify(pushed_change change) {
    state_->notify(std::move(change));
}

watcher_stats state_watcher::stats() const {
    watcher_stats s;
    s.requests = state_->requests;
    s.listing_requests = state_->listing_requests;
    s.polls = state_->polls;
    s.shared_polls = state_->shared_polls;
    s.failed_polls = state_->failed_polls;
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
    auto o = co_await state_->watch(std::move(w));
    co_return *o.file;
}

asio::awaitable<api::background_asset_version>
state_watcher::wait_for_version(std::string version_id,
                                std::vector<api::background_asset_version_state> targets,
                                watch_options options) {
    state::watch_spec w{watch_kind::version, std::move(version_id)};
    for (auto& t : targets)
        w.targets.push_back(t.str());
    w.options = std::move(options);
    auto o = co_await state_->watch(std::move(w));
    co_return *o.version;
}

asio::awaitable<release_status> state_watcher::wait_for_release(std::string version_id,
                                                                release_channel channel,
                                                                std::vector<std::string> targets,
                                                                watch_options options) {
    state::watch_spec w{watch_kind::release_of_version, std::move(version_id), channel,
                        std::move(targets), std::move(options)};
    auto o = co_await state_->watch(std::move(w));
    co_return *o.releases[index_of(channel)];
}

asio::awaitable<release_status>
state_watcher::wait_for_release_by_id(release_channel channel, std::string release_id,
                                      std::vector<std::string> targets, watch_options options) {
    state::watch_spec w{watch_kind::release_by_id, std::move(release_id), channel,
                        std::move(targets), std::move(options)};
    auto o = co_await state_->watch(std::move(w));
    co_return *o.releases[index_of(channel)];
}

} // namespace ascpp::workflow
