// ascpp::workflow::state_watcher: await upload files, versions and releases reaching a state.
//
// A watch polls with an adaptive interval: the first poll at once, then waits that start at
// poll_policy::initial and grow by `multiplier` up to `max`, each scaled by a random jitter, and
// stretched further when the key's hourly budget runs low (X-Rate-Limit, as api::client reports
// it). Every request goes through the api::client, so its rate-limit budget applies too. A
// version whose processing has just started (watch_options::processing_bytes, which publish
// sets) is first looked at when it is expected to be done, an estimate the watcher learns from
// the versions it sees finish (processing_estimate), and later looks back off from there.
//
// A watch is a coroutine with one timer: thousands of them cost no thread. Watches sharing one
// state_watcher also share requests:
//  - versions of the same asset pack are read by one listing request
//    (GET /v1/backgroundAssets/{id}/versions with filter[state], filter[version], fields and
//    include for release states) per interval, whatever the number of watches;
//  - watches of the same upload file or release share one GET;
//  - a request another watch made recently enough (within half the asking watch's interval)
//    answers a poll without a new request.
//
// A watch ends with the resource once its state is in `targets`; throws watch_error when the
// resource reached a final state outside `targets` (e.g. a version FAILED while COMPLETE was
// awaited: the error carries stateDetails) or when the timeout passed; and throws
// system_error(operation_aborted) when cancelled through the completion token's slot. Failed
// polls (network, 5xx, 429 after the client's own retries) are retried at the next interval;
// `max_failed_polls` in a row end the watch with the last error.
//
// Thread-safe; the api::client must outlive the watcher, and the watcher every watch.
#pragma once

#include <ascpp/api/client.hpp>
#include <ascpp/async.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::workflow {

// The three release resources of a version.
enum class release_channel { internal_beta, external_beta, app_store };
std::string_view to_string(release_channel c) noexcept;

struct poll_policy {
    std::chrono::milliseconds initial{2'000}; // wait after the first poll
    double multiplier = 1.5;
    std::chrono::milliseconds max{60'000};
    double jitter = 0.2; // each wait is scaled by a random factor in [1 - jitter, 1 + jitter]
};

// When to look at a version whose processing has just started (watch_options::
// processing_bytes). The first look comes when `quantile` of such versions are expected to be
// done: the prior (base + per_mib x the version's MiB) scaled by what the watcher learned from
// the versions it saw finish (whether each was done at its first look: too early moves the
// estimate up by learning_rate x quantile, in log space, done moves it down by learning_rate x
// (1 - quantile), so it settles where `quantile` of first looks find the version done; a
// version whose first look came too early raises it to at least the time it was last seen
// processing). A first look still asleep when the estimate rises sleeps on to the new one. Later
// looks wait backoff_fraction of the first look's time, growing by the poll policy's multiplier
// up to the larger of its max and the first look's time.
struct processing_estimate {
    // The prior: what a version takes before the watcher has seen one finish. Apple documents
    // no processing times; "minutes" is what users report. Unset: 3 minutes against Apple's API
    // (the client's default base_url, when prior_at_apple) and none elsewhere (a simulator or a
    // test service may take milliseconds): then the first versions follow the poll policy and
    // the first to finish gives the estimate. Set it from what your packs take.
    std::optional<std::chrono::milliseconds> prior_base;
    bool prior_at_apple = true;
    std::chrono::milliseconds prior_per_mib{2'000};
    double quantile = 0.9;
    double learning_rate = 0.25;
    double backoff_fraction = 1.0;
};

struct watch_options {
    // No deadline when unset.
    std::optional<std::chrono::milliseconds> timeout;
    // Overrides the watcher's policy for this watch.
    std::optional<poll_policy> poll;
    // Called with each new state observed (the first one included), on the watch's executor.
    std::function<void(std::string_view state)> on_state;
    // Version and release-of-version watches: the version's asset pack, when the caller knows it
    // (otherwise the first poll reads the version to learn it).
    std::string background_asset_id;
    // Version watches: the bytes of a version whose processing starts now (publish sets it after
    // its commit). The first look is then timed from what processing is expected to take
    // (processing_estimate) instead of being made at once. Ignored when the watcher's
    // timed_first_looks is off.
    std::optional<std::uint64_t> processing_bytes;
    // Incremented by the API requests this watch made itself (not those it shared), so callers
    // can account for requests.
    std::shared_ptr<std::atomic<std::uint64_t>> requests;
    // The watcher is told of changes (state_watcher::notify, e.g. by a webhook_receiver): the
    // watch wakes for each one that concerns it, and the poll policy is only the fallback for a
    // lost notification (set it long).
    bool changes_pushed = false;
    // With changes_pushed, false: the first look of a version watch waits one interval, for a
    // caller that knows the target cannot have been reached before notifications began (publish:
    // the version it has just committed while a receiver ran).
    bool first_look_at_once = true;
};

// A change the watcher is told of instead of polling for it (see state_watcher::notify).
struct pushed_change {
    // "backgroundAssetVersions", "backgroundAssetUploadFiles" or a release type.
    std::string resource_type;
    std::string id;
    // The resource's new state when the notification carries it; empty: unknown, look now.
    std::string state;
};

struct watcher_options {
    poll_policy poll;
    // Below this fraction of the hourly budget left, waits stretch (up to 10x at 2% left).
    double low_budget_fraction = 0.2;
    // A listing names the watched versions in filter[version] when there are at most this many.
    std::size_t max_versions_in_filter = 50;
    // Failed polls in a row after which a watch gives up.
    unsigned max_failed_polls = 5;
    // Time the first look of a version whose processing just started (watch_options::
    // processing_bytes) from what processing is expected to take; off: look at once, then
    // follow `poll`.
    bool timed_first_looks = true;
    processing_estimate processing;
};

// What the watcher has spent and done since it was made. `requests` is the cost (what the key's
// rate limit counts) and depends only on how long the watched resources take. `polls` counts
// the watches' looks, one per watch each time it wakes: with many watches it follows their
// jittered schedules, so two runs with the same requests can show different polls (50 watches
// sharing one listing make about 50 polls per request). shared_polls / polls is the part of the
// looks that cost nothing.
struct watcher_stats {
    std::uint64_t requests = 0;               // API requests made by the watcher (pages included)
    std::uint64_t listing_requests = 0;       // of those, version listings of a pack
    std::uint64_t polls = 0;                  // looks answered (a snapshot of the state)
    std::uint64_t shared_polls = 0;           // of those, by a request made for another look
    std::uint64_t failed_polls = 0;           // looks whose request failed
    std::uint64_t timed_first_looks = 0;      // first looks timed from the processing estimate
    std::uint64_t timed_first_looks_done = 0; // of those, that found the version done
    std::uint64_t notifications = 0;          // notify() calls
    std::uint64_t pushed_results = 0; // watches ended by a notified state, without a request
    std::size_t active_watches = 0;
};

// A release as seen through its version (or read by id).
struct release_status {
    release_channel channel = release_channel::internal_beta;
    std::string id;
    std::string state;
};

// The error codes of watch failures (see ascpp::error_code_of).
enum class watch_errc {
    timed_out = 1, // the watch's timeout passed before a target state
    unreachable,   // a final state other than the targets was reached (e.g. FAILED)
};
const boost::system::error_category& watch_category() noexcept;
inline boost::system::error_code make_error_code(watch_errc e) noexcept {
    return {static_cast<int>(e), watch_category()};
}

class watch_error : public std::runtime_error {
public:
    enum class reason { timed_out, unreachable };

    watch_error(reason r, std::string resource_type, std::string id, std::string last_state,
                std::optional<api::state_details> details, const std::string& message)
        : std::runtime_error(message), reason_(r), resource_type_(std::move(resource_type)),
          id_(std::move(id)), last_state_(std::move(last_state)), details_(std::move(details)) {}

    reason why() const noexcept { return reason_; }
    watch_errc code() const noexcept {
        return reason_ == reason::timed_out ? watch_errc::timed_out : watch_errc::unreachable;
    }
    // "backgroundAssetVersions", "backgroundAssetUploadFiles" or a release type.
    const std::string& resource_type() const noexcept { return resource_type_; }
    const std::string& id() const noexcept { return id_; }
    // The last state observed (empty when none was).
    const std::string& last_state() const noexcept { return last_state_; }
    // A version's stateDetails, or an upload file's errors and warnings, when there are some.
    const std::optional<api::state_details>& details() const noexcept { return details_; }

private:
    reason reason_;
    std::string resource_type_;
    std::string id_;
    std::string last_state_;
    std::optional<api::state_details> details_;
};

// Lifetime: `client` must outlive the watcher, not its watches. Destroying the watcher makes
// it start no more requests: a request under way finishes (it holds the client's state of its
// own, so the client may be destroyed right after the watcher), and each watch still waiting
// ends with operation_aborted at its next look. Destroy both on a thread of the io_context or
// while it does not run.
class state_watcher {
public:
    explicit state_watcher(api::client& client, watcher_options options = watcher_options());
    ~state_watcher();
    state_watcher(const state_watcher&) = delete;
    state_watcher& operator=(const state_watcher&) = delete;

    // An upload file's assetDeliveryState.state (final: COMPLETE, FAILED).
    asio::awaitable<api::background_asset_upload_file>
    wait_for_upload_file(std::string upload_file_id, std::vector<api::delivery_state> targets,
                         watch_options options = watch_options());
    // A version's state (final: COMPLETE, FAILED).
    asio::awaitable<api::background_asset_version>
    wait_for_version(std::string version_id,
                     std::vector<api::background_asset_version_state> targets,
                     watch_options options = watch_options());
    // The state of a version's release in `channel`, which exists once the version is processed
    // (final: SUPERSEDED, and REJECTED for external beta and App Store; a FAILED version too).
    asio::awaitable<release_status> wait_for_release(std::string version_id,
                                                     release_channel channel,
                                                     std::vector<std::string> targets,
                                                     watch_options options = watch_options());
    // A release read by its own id.
    asio::awaitable<release_status> wait_for_release_by_id(release_channel channel,
                                                           std::string release_id,
                                                           std::vector<std::string> targets,
                                                           watch_options options = watch_options());

    template <class CompletionToken = default_token>
    auto async_wait_for_upload_file(std::string id, std::vector<api::delivery_state> targets,
                                    watch_options options = watch_options(),
                                    CompletionToken&& token = {}) {
        return run_async(
            executor(), wait_for_upload_file(std::move(id), std::move(targets), std::move(options)),
            std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto
    async_wait_for_version(std::string id, std::vector<api::background_asset_version_state> targets,
                           watch_options options = watch_options(), CompletionToken&& token = {}) {
        return run_async(executor(),
                         wait_for_version(std::move(id), std::move(targets), std::move(options)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_wait_for_release(std::string version_id, release_channel channel,
                                std::vector<std::string> targets,
                                watch_options options = watch_options(),
                                CompletionToken&& token = {}) {
        return run_async(executor(),
                         wait_for_release(std::move(version_id), channel, std::move(targets),
                                          std::move(options)),
                         std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_wait_for_release_by_id(release_channel channel, std::string release_id,
                                      std::vector<std::string> targets,
                                      watch_options options = watch_options(),
                                      CompletionToken&& token = {}) {
        return run_async(executor(),
                         wait_for_release_by_id(channel, std::move(release_id), std::move(targets),
                                                std::move(options)),
                         std::forward<CompletionToken>(token));
    }

    // Tells the watcher that a resource changed (a webhook delivery): its watches wake at once.
    // A version watch handed a target state ends with it without a request (the version it
    // returns then carries only its id and state); any other state it cannot settle from the
    // notification alone (FAILED, which needs stateDetails; a release's) makes it look now with
    // one shared request. States are remembered (the last 4096 resources) for watches that
    // begin later, and a version's state never goes back, so a late, reordered notification
    // changes nothing. Thread-safe; never blocks on I/O.
    void notify(pushed_change change);

    watcher_stats stats() const;
    // What the watcher now expects a version of `bytes` to take to process (the time of its
    // timed first look, before jitter): the prior scaled by what it learned; none before a
    // prior or a finished version gave one.
    std::optional<std::chrono::milliseconds> expected_processing(std::uint64_t bytes) const;
    asio::any_io_executor executor() const;
    api::client& client() const noexcept;

    struct state; // internal

private:
    std::shared_ptr<state> state_;
};

} // namespace ascpp::workflow

namespace boost::system {
template <>
struct is_error_code_enum<ascpp::workflow::watch_errc> : std::true_type {};
} // namespace boost::system
