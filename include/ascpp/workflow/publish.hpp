// ascpp::workflow::publish: put a new version of an asset pack on App Store Connect.
//
//   1. find the asset pack by identifier (GET /v1/apps/{id}/backgroundAssets with
//      filter[assetPackIdentifier]) or create it;
//   2. create a version, or reuse the newest one still AWAITING_UPLOAD (a re-run after a failure
//      continues it instead of making a duplicate);
//   3. reserve, upload and commit the MANIFEST (when given), then the ASSET, with the upload
//      engine; files a reused version already has committed are not sent again;
//   4. optionally wait until the version is processed (COMPLETE, or FAILED with its
//      stateDetails in the result) and until its release in a channel reaches a state.
//
// Before step 2 (unless publish_options::force), the archive and the manifest are hashed
// (SHA-256, one read each on the hashing pool) and compared with the `sourceFileChecksums` of the
// newest version that is COMPLETE or PROCESSING (one request: the version listing with its
// assetFile and manifestFile included). When both match, nothing is created or sent: the result
// is `unchanged` and names that version, and the waits of step 4 follow it.
//
// Steps 1-3 look before they create, so a step that failed on a server error or a dropped
// connection is run again (publish_options::reconcile_rounds) without making duplicates.
//
// With a journal file, a publish killed part-way and started again with the same journal goes
// on with the same pack, version and reservations and sends only the parts that are missing.
// The journal is deleted when the publish succeeds.
#pragma once

#include <ascpp/api/client.hpp>
#include <ascpp/async.hpp>
#include <ascpp/upload/upload_file.hpp>
#include <ascpp/workflow/state_watcher.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ascpp::workflow {

struct publish_request {
    std::string app_id;
    std::string asset_pack_identifier;
    // The archive (e.g. Pack.aar), uploaded as the version's ASSET.
    std::filesystem::path asset;
    // The manifest, uploaded first as the version's MANIFEST when the service asks for one.
    std::optional<std::filesystem::path> manifest;
    // The asset pack, when the caller has read it already (a batch looks many packs up with one
    // request): publish then neither looks for nor creates it.
    std::optional<api::background_asset> asset_pack;
    // The caller looked for the pack and found none: publish creates it without looking first
    // (and looks when the create finds the identifier taken, or may have half-happened).
    bool asset_pack_absent = false;
};

// How far a publish waits after the upload.
struct release_target {
    release_channel channel = release_channel::internal_beta;
    // Empty: the channel's usual goal (READY_FOR_TESTING for the betas, READY_FOR_DISTRIBUTION
    // for the App Store).
    std::vector<api::release_state> states;
};

struct publish_options {
    // Limiter, progress, checksums and retries of the file uploads. Its journal is replaced by
    // `journal` below.
    upload::upload_options upload;
    // Resume journal of this publish (optional).
    std::optional<std::filesystem::path> journal;
    // Wait for the version's processing (COMPLETE or FAILED).
    bool wait_for_processing = true;
    // Then wait for a release state (implies wait_for_processing).
    std::optional<release_target> release;
    // Timeout, poll policy and state callback of those waits (`requests` is set by publish).
    watch_options watch;
    // The watcher to share with other publishes (a batch shares one); null: a private one.
    std::shared_ptr<state_watcher> watcher;
    // The client never replays a POST that met a server error (5xx) or lost its connection: it
    // may have taken effect. After any transient failure (the rule every retry uses: 408, 429,
    // 5xx, timeouts, connection failures) publish instead runs the step again, which first looks
    // for what it was creating (the pack by identifier, the version AWAITING_UPLOAD, the
    // reservation of this file) and creates it only if absent: at most this many extra rounds per
    // step, apart by the upload engine's backoff (upload::backoff_delay): half to all of
    // `reconcile_delay`, then of twice that.
    unsigned reconcile_rounds = 2;
    std::chrono::milliseconds reconcile_delay{1000};
    // Publish even when the newest COMPLETE or PROCESSING version already holds the same archive
    // and manifest. Off (the default): the files' SHA-256 are compared with that version's
    // sourceFileChecksums first, and an unchanged pack is neither uploaded nor given a version.
    // Where the service returns no checksums, or not SHA_256 ones, the pack is published
    // (publish_result::comparison says why).
    bool force = false;
};

struct publish_result {
    api::background_asset asset_pack;
    bool asset_pack_created = false;
    api::background_asset_version version; // as last read
    bool version_created = false;          // false: an AWAITING_UPLOAD version was continued
    // One per file sent in this run (manifest first); a file the version already had committed
    // is listed in `skipped_files` instead.
    std::vector<upload::upload_result> uploads;
    std::vector<std::string> skipped_files;
    // Nothing was created or sent: `version` is the newest COMPLETE or PROCESSING version, which
    // already holds the same archive and manifest (by their SHA-256 in sourceFileChecksums).
    bool unchanged = false;
    // What the comparison before publishing found, in a sentence: why the pack is unchanged,
    // which file differs, or why no comparison was made (forced, no checksums ...).
    std::string comparison;

    // Processing: the version's final state when waited for (COMPLETE or FAILED), else empty
    // (an unchanged pack whose version is COMPLETE already: COMPLETE).
    std::string version_state;
    // Whether processing failed; then `state_details` says why.
    bool processing_failed = false;
    std::optional<api::state_details> state_details;
    std::optional<release_status> release;

    std::uint64_t bytes_sent = 0;    // part bytes written in this run, retries included
    std::uint64_t bytes_resumed = 0; // bytes a previous run had sent (journal)
    // API requests this publish made itself, its polls included (shared polls count once, for
    // the watch that made them).
    std::uint64_t api_requests = 0;
    // Steps run again after a failure that may have left a create half done (reconcile_rounds).
    unsigned reconciled_steps = 0;
    std::chrono::milliseconds upload_duration{0};
    std::chrono::milliseconds processing_duration{0}; // waiting for the version and release
    std::chrono::milliseconds duration{0};

    // Uploaded and, as far as it was waited for, processed and released.
    bool succeeded() const noexcept { return !processing_failed; }
};

// Throws api::api_error, http::transport_error, upload::upload_error, watch_error (timeouts,
// an unreachable release state), std::invalid_argument for a bad request, or
// system_error(operation_aborted) when cancelled. A FAILED version is not thrown: it is in the
// result (processing_failed, state_details).
asio::awaitable<publish_result> publish(api::client& client, publish_request request,
                                        publish_options options = publish_options());

template <class CompletionToken = default_token>
auto async_publish(api::client& client, publish_request request,
                   publish_options options = publish_options(), CompletionToken&& token = {}) {
    return run_async(client.executor(), publish(client, std::move(request), std::move(options)),
                     std::forward<CompletionToken>(token));
}

} // namespace ascpp::workflow
