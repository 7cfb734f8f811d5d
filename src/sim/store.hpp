// The simulator's resources and their state machines. Plain data and transitions, no I/O and no
// timers: callers hold the service lock, and schedule the timed follow-ups the transitions ask
// for (file processing, version processing, release processing).
#pragma once

#include "encoding.hpp"

#include <ascpp/sim/simulator.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ascpp::sim {

struct app_record {
    std::string id;
    std::string name;
    std::string bundle_id;
    std::string sku;
    std::string primary_locale = "en-US";
};

struct background_asset_record {
    std::string id;
    std::string app_id;
    std::string asset_pack_identifier;
    bool archived = false;
    sys_time created_date;
    std::uint64_t sequence = 0;            // creation order, to break sort ties
    std::vector<std::string> version_ids;  // creation order
    std::uint64_t next_version_number = 1; // never reused
    // Derived from the versions' releases (see store::refresh_asset).
    std::string app_store_version_id;
    std::string internal_beta_version_id;
    std::string external_beta_version_id;
    std::uint64_t used_bytes = 0;
};

struct state_detail {
    std::string code;
    std::string description;
};

struct version_record {
    std::string id;
    std::string asset_id;
    std::uint64_t number = 0;
    std::string version; // number as a string, as Apple sends it
    std::string state = "AWAITING_UPLOAD";
    sys_time created_date;
    std::vector<std::string> platforms;
    std::optional<std::string> locale;
    std::vector<state_detail> errors, warnings, infos;
    std::string internal_release_id, external_release_id, app_store_release_id;
    std::string asset_file_id, manifest_file_id;
    std::vector<std::string> upload_file_ids; // reservation order
};

// What the upload host knows about one part. Bytes are digested as they arrive; only parts that
// arrive ahead of the whole-file digest wait on disk (spool), and only until it reaches them.
struct part_state {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::uint64_t part_number = 0; // 1-based
    std::string token;             // the unguessable capability in the part URL
    bool received = false;
    std::array<unsigned char, 16> md5{};
    std::optional<std::string> entity_tag;
    bool in_file_digest = false; // already folded into the running whole-file digests
    std::filesystem::path spool; // received bytes waiting for the whole-file digests
    std::array<unsigned char, 16> spool_md5{};
    std::string manifest_bytes; // MANIFEST files only, small
};

struct upload_file_record {
    std::string id;
    std::string version_id;
    std::string asset_type; // ASSET or MANIFEST
    std::string file_name;
    std::uint64_t file_size = 0;
    std::string asset_token;
    std::string delivery_state = "AWAITING_UPLOAD";
    std::vector<state_detail> errors, warnings;
    std::optional<boost::json::object> source_file_checksums; // as the client sent them
    std::optional<std::string> source_file_checksum;          // deprecated form, as sent
    sys_time expiration;
    std::vector<part_state> parts;          // by part number
    std::vector<std::size_t> listing_order; // the order uploadOperations are listed in
    bool committed = false;
    bool forced_failure = false; // fail_processing fault

    // Whole-file digests over parts 0..next_part-1, in order.
    digest file_md5{digest::algorithm::md5};
    digest file_sha256{digest::algorithm::sha256};
    std::size_t next_part = 0;
    bool digest_busy = false; // a part upload or the digest worker is extending the digests
    // Why the whole-file digests cannot be trusted, if they cannot: a part received again with
    // different bytes after it had been digested, or a spooled part that could not be read.
    std::string digest_problem;
    // Processing: when the commit was accepted, and whether its verdict is scheduled.
    std::chrono::steady_clock::time_point committed_at;
    bool verdict_scheduled = false;
};

struct release_record {
    std::string id;
    std::string version_id;
    release_channel channel = release_channel::internal_beta;
    std::string state;
};

// Where a part token leads.
struct part_ref {
    std::string file_id;
    std::size_t index = 0;
};

// A state a version or release entered (what webhooks tell of). Reported under the service lock.
struct state_change {
    std::string resource_type; // backgroundAssetVersions or a release type
    std::string id;
    std::string version_id;
    std::string old_state; // empty when created
    std::string new_state;
    std::optional<release_channel> channel; // releases
    bool created = false;                   // a release came to be
};

// Follow-ups a transition asks its caller to schedule.
struct follow_up {
    std::vector<std::string> release_processing; // release ids now in PROCESSING_FOR_*
};

const char* release_type(release_channel c);

class store {
public:
    explicit store(std::uint64_t seed);

    void clear(std::uint64_t seed);
    void add_app(const std::string& id);

    const app_record* find_app(const std::string& id) const;
    background_asset_record* find_asset(const std::string& id);
    version_record* find_version(const std::string& id);
    upload_file_record* find_upload_file(const std::string& id);
    release_record* find_release(const std::string& id);
    const part_ref* find_part(const std::string& token) const;

    // Packs of an app in creation order.
    std::vector<background_asset_record*> assets_of_app(const std::string& app_id);

    // The operations; each throws api_error on a rule violation.
    background_asset_record& create_asset(const std::string& app_id, const std::string& identifier,
                                          sys_time now);
    background_asset_record& set_archived(background_asset_record& asset, bool archived);
    version_record& create_version(const std::string& asset_id, sys_time now);
    upload_file_record& create_upload_file(const std::string& version_id,
                                           const std::string& asset_type,
                                           const std::string& file_name, std::uint64_t file_size,
                                           std::uint64_t part_size, sys_time expiration,
                                           bool shuffle);
    // uploaded:true. Throws 409 when parts are missing or the file was committed already.
    // Returns the version that starts PROCESSING (ASSET files), if any.
    void commit_upload_file(upload_file_record& file);

    // End of processing for a committed file: COMPLETE, or FAILED with `errors`.
    void finish_upload_file(upload_file_record& file, std::vector<state_detail> errors,
                            std::vector<state_detail> warnings);
    // End of processing for a version whose ASSET file finished: COMPLETE (and an internal beta
    // release) or FAILED with stateDetails.
    void finish_version(version_record& version);

    // Review actions of the control API. Throws std::invalid_argument (unknown action or
    // version) or std::logic_error (not allowed in the current state).
    follow_up release_action(const std::string& version_id, release_channel channel,
                             const std::string& action);
    // PROCESSING_FOR_TESTING -> READY_FOR_TESTING, PROCESSING_FOR_DISTRIBUTION ->
    // READY_FOR_DISTRIBUTION; older releases of the pack become SUPERSEDED.
    void finish_release_processing(const std::string& release_id);

    // Recomputes usedBytes and the pack's appStoreVersion/internalBetaVersion/
    // externalBetaVersion from its versions' releases.
    void refresh_asset(background_asset_record& asset);

    id_generator& ids() { return ids_; }

    // Told of every state change, under the caller's lock; must not block.
    std::function<void(const state_change&)> observer;

    std::size_t asset_count() const { return assets_.size(); }

private:
    std::string new_id() { return ids_.uuid(); }
    void supersede_others(const release_record& winner, const std::string& ready_state);
    void set_state(version_record& v, const std::string& state);
    void set_state(release_record& r, const std::string& state);
    void created(const release_record& r);

    id_generator ids_;
    std::uint64_t sequence_ = 0;
    std::map<std::string, app_record> apps_;
    std::unordered_map<std::string, background_asset_record> assets_;
    std::unordered_map<std::string, std::vector<std::string>> assets_by_app_;
    std::unordered_map<std::string, version_record> versions_;
    std::unordered_map<std::string, upload_file_record> files_;
    std::unordered_map<std::string, release_record> releases_;
    std::unordered_map<std::string, part_ref> part_tokens_;
};

} // namespace ascpp::sim
