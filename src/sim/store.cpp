#include "store.hpp"

#include "api_error.hpp"

#include <algorithm>
#include <stdexcept>
#include <system_error>

namespace ascpp::sim {

namespace {

// Apple's documented limits per app record (Help: asset pack size limits).
constexpr std::size_t max_packs_per_app = 100;
constexpr std::uint64_t max_bytes_per_app = 200ull * 1000 * 1000 * 1000;

void remove_spool(part_state& p) {
    if (!p.spool.empty()) {
        std::error_code ec;
        std::filesystem::remove(p.spool, ec);
        p.spool.clear();
    }
}

bool release_is_live(const release_record& r) {
    return r.state != "SUPERSEDED" && r.state != "REJECTED";
}

} // namespace

const char* release_type(release_channel c) {
    switch (c) {
    case release_channel::internal_beta:
        return "backgroundAssetVersionInternalBetaReleases";
    case release_channel::external_beta:
        return "backgroundAssetVersionExternalBetaReleases";
    case release_channel::app_store:
        return "backgroundAssetVersionAppStoreReleases";
    }
    return "";
}

store::store(std::uint64_t seed) : ids_(mix_seed(seed, 0xA55E7)) {}

void store::clear(std::uint64_t seed) {
    for (auto& [id, f] : files_)
        for (auto& p : f.parts)
            remove_spool(p);
    apps_.clear();
    assets_.clear();
    assets_by_app_.clear();
    versions_.clear();
    files_.clear();
    releases_.clear();
    part_tokens_.clear();
    sequence_ = 0;
    ids_.reseed(mix_seed(seed, 0xA55E7));
}

void store::add_app(const std::string& id) {
    app_record a;
    a.id = id;
    a.name = "Simulated App " + id;
    a.bundle_id = "com.example.sim.app" + id;
    a.sku = "SIM" + id;
    apps_.insert_or_assign(id, std::move(a));
}

const app_record* store::find_app(const std::string& id) const {
    auto it = apps_.find(id);
    return it == apps_.end() ? nullptr : &it->second;
}
background_asset_record* store::find_asset(const std::string& id) {
    auto it = assets_.find(id);
    return it == assets_.end() ? nullptr : &it->second;
}
version_record* store::find_version(const std::string& id) {
    auto it = versions_.find(id);
    return it == versions_.end() ? nullptr : &it->second;
}
upload_file_record* store::find_upload_file(const std::string& id) {
    auto it = files_.find(id);
    return it == files_.end() ? nullptr : &it->second;
}
release_record* store::find_release(const std::string& id) {
    auto it = releases_.find(id);
    return it == releases_.end() ? nullptr : &it->second;
}
const part_ref* store::find_part(const std::string& token) const {
    auto it = part_tokens_.find(token);
    return it == part_tokens_.end() ? nullptr : &it->second;
}

std::vector<background_asset_record*> store::assets_of_app(const std::string& app_id) {
    std::vector<background_asset_record*> out;
    auto it = assets_by_app_.find(app_id);
    if (it != assets_by_app_.end())
        for (auto& id : it->second)
            out.push_back(&assets_.at(id));
    return out;
}

background_asset_record& store::create_asset(const std::string& app_id,
                                             const std::string& identifier, sys_time now) {
    if (!find_app(app_id))
        throw entity_error("RELATIONSHIP.INVALID", "/data/relationships/app/data/id",
                           "The provided entity includes a relationship with an invalid value",
                           "There is no app with id '" + app_id + "'");
    if (identifier.empty() || identifier.size() > 255)
        throw entity_error("ATTRIBUTE.INVALID", "/data/attributes/assetPackIdentifier",
                           "The provided entity includes an attribute with an invalid value",
                           "assetPackIdentifier must be 1 to 255 characters long");
    auto& ids = assets_by_app_[app_id];
    for (auto& id : ids) {
        // Identifiers stay taken after archiving: Apple does not let them be reused.
        if (assets_.at(id).asset_pack_identifier == identifier)
            throw entity_error("ATTRIBUTE.INVALID.DUPLICATE",
                               "/data/attributes/assetPackIdentifier",
                               "The provided entity includes an attribute with a value that "
                               "has already been used",
                               "An asset pack with the identifier '" + identifier +
                                   "' already exists for this app");
    }
    std::size_t live = std::count_if(
        ids.begin(), ids.end(), [&](const std::string& id) { return !assets_.at(id).archived; });
    if (live >= max_packs_per_app)
        throw entity_error("LIMIT_EXCEEDED", "", "The app has reached the asset pack limit",
                           "An app can have at most 100 asset packs");
    background_asset_record a;
    a.id = new_id();
    a.app_id = app_id;
    a.asset_pack_identifier = identifier;
    a.created_date = now;
    a.sequence = ++sequence_;
    ids.push_back(a.id);
    auto [it, inserted] = assets_.emplace(a.id, std::move(a));
    return it->second;
}

background_asset_record& store::set_archived(background_asset_record& asset, bool archived) {
    if (asset.archived && !archived)
        throw entity_error("ATTRIBUTE.INVALID", "/data/attributes/archived",
                           "The provided entity includes an attribute with an invalid value",
                           "An archived asset pack cannot be unarchived");
    if (archived && !asset.archived) {
        // Archiving removes every version from TestFlight and the App Store.
        asset.archived = true;
        refresh_asset(asset);
    }
    return asset;
}

version_record& store::create_version(const std::string& asset_id, sys_time now) {
    auto* asset = find_asset(asset_id);
    if (!asset)
        throw entity_error("RELATIONSHIP.INVALID", "/data/relationships/backgroundAsset/data/id",
                           "The provided entity includes a relationship with an invalid value",
                           "There is no asset pack with id '" + asset_id + "'");
    if (asset->archived)
        throw entity_error("STATE_ERROR", "/data/relationships/backgroundAsset/data/id",
                           "The asset pack is archived",
                           "New versions cannot be created for an archived asset pack");
    version_record v;
    v.id = new_id();
    v.asset_id = asset_id;
    v.number = asset->next_version_number++;
    v.version = std::to_string(v.number);
    v.created_date = now;
    asset->version_ids.push_back(v.id);
    auto [it, inserted] = versions_.emplace(v.id, std::move(v));
    return it->second;
}

upload_file_record& store::create_upload_file(const std::string& version_id,
                                              const std::string& asset_type,
                                              const std::string& file_name, std::uint64_t file_size,
                                              std::uint64_t part_size, sys_time expiration,
                                              bool shuffle) {
    auto* version = find_version(version_id);
    if (!version)
        throw entity_error("RELATIONSHIP.INVALID",
                           "/data/relationships/backgroundAssetVersion/data/id",
                           "The provided entity includes a relationship with an invalid value",
                           "There is no background asset version with id '" + version_id + "'");
    if (find_asset(version->asset_id)->archived)
        throw entity_error("STATE_ERROR", "/data/relationships/backgroundAssetVersion/data/id",
                           "The asset pack is archived",
                           "Files cannot be uploaded to a version of an archived asset pack");
    if (version->state != "AWAITING_UPLOAD")
        throw entity_error("STATE_ERROR", "/data/relationships/backgroundAssetVersion/data/id",
                           "The version does not accept uploads",
                           "The version is " + version->state +
                               "; upload files can only be reserved while it is "
                               "AWAITING_UPLOAD");
    if (file_name.empty())
        throw entity_error("ATTRIBUTE.INVALID", "/data/attributes/fileName",
                           "The provided entity includes an attribute with an invalid value",
                           "fileName must not be empty");
    if (file_size > max_bytes_per_app)
        throw entity_error("ATTRIBUTE.INVALID", "/data/attributes/fileSize",
                           "The provided entity includes an attribute with an invalid value",
                           "fileSize exceeds the 200 GB limit of an app's asset packs");
    // One ASSET and one MANIFEST per version; a reservation that was never committed (say its
    // URLs expired) may be replaced by a new one.
    const std::string& slot =
        asset_type == "ASSET" ? version->asset_file_id : version->manifest_file_id;
    if (!slot.empty() && files_.at(slot).committed)
        throw entity_error("STATE_ERROR", "/data/attributes/assetType",
                           "The version already has this file",
                           "The version already has a committed " + asset_type + " file");

    upload_file_record f;
    f.id = new_id();
    f.version_id = version_id;
    f.asset_type = asset_type;
    f.file_name = file_name;
    f.file_size = file_size;
    {
        std::string a = new_id(), b = new_id();
        std::transform(a.begin(), a.end(), a.begin(), ::tolower);
        std::transform(b.begin(), b.end(), b.begin(), ::tolower);
        auto h = hex_lower(
            std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(a.data()), 3));
        f.asset_token = "PurpleSource/v4/" + h.substr(0, 2) + "/" + h.substr(2, 2) + "/" +
                        h.substr(4, 2) + "/" + a + "/" + b;
    }
    f.expiration = expiration;
    std::uint64_t parts = (file_size + part_size - 1) / part_size;
    f.parts.resize(parts);
    for (std::uint64_t i = 0; i < parts; ++i) {
        auto& p = f.parts[i];
        p.offset = i * part_size;
        p.length = std::min(part_size, file_size - p.offset);
        p.part_number = i + 1;
        p.token = random_token();
        part_tokens_.emplace(p.token, part_ref{f.id, i});
    }
    f.listing_order.resize(parts);
    for (std::size_t i = 0; i < parts; ++i)
        f.listing_order[i] = i;
    if (shuffle)
        std::shuffle(f.listing_order.begin(), f.listing_order.end(), ids_.engine());

    (asset_type == "ASSET" ? version->asset_file_id : version->manifest_file_id) = f.id;
    version->upload_file_ids.push_back(f.id);
    auto [it, inserted] = files_.emplace(f.id, std::move(f));
    return it->second;
}

void store::commit_upload_file(upload_file_record& file) {
    if (file.committed)
        throw entity_error(
            "STATE_ERROR", "/data/attributes/uploaded", "The upload file was already committed",
            "The upload file is " + file.delivery_state + "; it can be committed only once");
    std::size_t missing = 0;
    std::uint64_t first_missing = 0;
    for (auto& p : file.parts)
        if (!p.received && missing++ == 0)
            first_missing = p.part_number;
    if (missing)
        throw entity_error("ATTRIBUTE.INVALID", "/data/attributes/uploaded",
                           "The upload is incomplete",
                           std::to_string(missing) + " of " + std::to_string(file.parts.size()) +
                               " parts have not been received (first missing: part " +
                               std::to_string(first_missing) + ")");
    auto* version = find_version(file.version_id);
    if (version->state != "AWAITING_UPLOAD")
        throw entity_error("STATE_ERROR", "/data/attributes/uploaded",
                           "The version does not accept uploads",
                           "The version is " + version->state);
    file.committed = true;
    file.delivery_state = "UPLOAD_COMPLETE";
    for (auto& p : file.parts)
        part_tokens_.erase(p.token);
    if (file.asset_type == "ASSET")
        set_state(*version, "PROCESSING");
}

void store::finish_upload_file(upload_file_record& file, std::vector<state_detail> errors,
                               std::vector<state_detail> warnings) {
    file.errors = std::move(errors);
    file.warnings = std::move(warnings);
    file.delivery_state = file.errors.empty() ? "COMPLETE" : "FAILED";
    for (auto& p : file.parts) {
        remove_spool(p);
        p.manifest_bytes.clear();
        p.manifest_bytes.shrink_to_fit();
    }
}

void store::finish_version(version_record& version) {
    if (version.state != "PROCESSING")
        return;
    auto* asset_file = find_upload_file(version.asset_file_id);
    auto* manifest =
        version.manifest_file_id.empty() ? nullptr : find_upload_file(version.manifest_file_id);
    std::vector<state_detail> errors;
    if (asset_file && asset_file->delivery_state == "FAILED")
        errors.insert(errors.end(), asset_file->errors.begin(), asset_file->errors.end());
    if (manifest && manifest->delivery_state == "FAILED")
        errors.insert(errors.end(), manifest->errors.begin(), manifest->errors.end());
    if (version.platforms.empty())
        version.platforms = {"IOS"};
    if (!errors.empty()) {
        set_state(version, "FAILED");
        version.errors = std::move(errors);
        return;
    }
    set_state(version, "COMPLETE");
    release_record r;
    r.id = new_id();
    r.version_id = version.id;
    r.channel = release_channel::internal_beta;
    r.state = "READY_FOR_TESTING";
    version.internal_release_id = r.id;
    auto& stored = releases_.emplace(r.id, std::move(r)).first->second;
    created(stored);
    supersede_others(stored, "READY_FOR_TESTING");
    auto* asset = find_asset(version.asset_id);
    if (asset->archived) {
        // Archived while processing: nothing of it may reach testers.
        set_state(stored, "SUPERSEDED");
    }
    refresh_asset(*asset);
}

void store::supersede_others(const release_record& winner, const std::string& ready_state) {
    auto& version = versions_.at(winner.version_id);
    auto& asset = assets_.at(version.asset_id);
    for (auto& vid : asset.version_ids) {
        if (vid == version.id)
            continue;
        auto& other = versions_.at(vid);
        const std::string& rid =
            winner.channel == release_channel::internal_beta   ? other.internal_release_id
            : winner.channel == release_channel::external_beta ? other.external_release_id
                                                               : other.app_store_release_id;
        if (rid.empty())
            continue;
        auto& r = releases_.at(rid);
        if (r.state == ready_state)
            set_state(r, "SUPERSEDED");
    }
}

follow_up store::release_action(const std::string& version_id, release_channel channel,
                                const std::string& action) {
    auto* version = find_version(version_id);
    if (!version)
        throw std::invalid_argument("there is no background asset version with id '" + version_id +
                                    "'");
    if (channel == release_channel::internal_beta)
        throw std::invalid_argument(
            "internal beta releases follow processing and take no review action");
    auto& asset = assets_.at(version->asset_id);
    std::string& rid = channel == release_channel::external_beta ? version->external_release_id
                                                                 : version->app_store_release_id;
    release_record* r = rid.empty() ? nullptr : &releases_.at(rid);
    follow_up out;

    auto require = [&](std::initializer_list<const char*> states) {
        if (!r)
            throw std::logic_error("the version has no " + std::string(release_type(channel)) +
                                   " release yet; use the action 'create' first");
        for (auto* s : states)
            if (r->state == s)
                return;
        throw std::logic_error("action '" + action + "' is not allowed while the release is " +
                               r->state);
    };

    std::string a = action;
    if (a == "advance") {
        // The next step of the happy path, so a user can walk a release with one verb.
        if (!r)
            a = "create";
        else if (channel == release_channel::external_beta) {
            if (r->state == "READY_FOR_BETA_SUBMISSION" || r->state == "REJECTED")
                a = "submit";
            else if (r->state == "WAITING_FOR_REVIEW")
                a = "start_review";
            else if (r->state == "IN_REVIEW")
                a = "approve";
            else
                throw std::logic_error("nothing follows " + r->state + " for this release");
        } else {
            if (r->state == "PREPARE_FOR_SUBMISSION")
                a = "ready";
            else if (r->state == "READY_FOR_REVIEW" || r->state == "REJECTED")
                a = "submit";
            else if (r->state == "WAITING_FOR_REVIEW")
                a = "start_review";
            else if (r->state == "IN_REVIEW")
                a = "approve";
            else if (r->state == "ACCEPTED")
                a = "distribute";
            else
                throw std::logic_error("nothing follows " + r->state + " for this release");
        }
    }

    if (a == "create") {
        if (r)
            throw std::logic_error("the version already has a " +
                                   std::string(release_type(channel)) + " release");
        if (version->state != "COMPLETE")
            throw std::logic_error("only a COMPLETE version can be released; this one is " +
                                   version->state);
        if (asset.archived)
            throw std::logic_error("the asset pack is archived");
        release_record nr;
        nr.id = new_id();
        nr.version_id = version->id;
        nr.channel = channel;
        nr.state = channel == release_channel::external_beta ? "READY_FOR_BETA_SUBMISSION"
                                                             : "PREPARE_FOR_SUBMISSION";
        rid = nr.id;
        created(releases_.emplace(nr.id, std::move(nr)).first->second);
        return out;
    }
    if (asset.archived)
        throw std::logic_error("the asset pack is archived");

    if (channel == release_channel::external_beta) {
        if (a == "submit") {
            require({"READY_FOR_BETA_SUBMISSION", "REJECTED"});
            // One version per pack in TestFlight review at a time (Help: test asset packs).
            for (auto& vid : asset.version_ids) {
                auto& other = versions_.at(vid);
                if (vid == version->id || other.external_release_id.empty())
                    continue;
                auto& st = releases_.at(other.external_release_id).state;
                if (st == "WAITING_FOR_REVIEW" || st == "IN_REVIEW")
                    throw std::logic_error("version " + other.version +
                                           " of this asset pack is already in beta review");
            }
            set_state(*r, "WAITING_FOR_REVIEW");
        } else if (a == "start_review") {
            require({"WAITING_FOR_REVIEW"});
            set_state(*r, "IN_REVIEW");
        } else if (a == "approve") {
            require({"IN_REVIEW"});
            set_state(*r, "PROCESSING_FOR_TESTING");
            out.release_processing.push_back(r->id);
        } else if (a == "reject") {
            require({"WAITING_FOR_REVIEW", "IN_REVIEW"});
            set_state(*r, "REJECTED");
        } else {
            throw std::invalid_argument("unknown external beta action '" + action +
                                        "' (create, submit, start_review, approve, reject, "
                                        "advance)");
        }
    } else {
        if (a == "ready") {
            require({"PREPARE_FOR_SUBMISSION"});
            set_state(*r, "READY_FOR_REVIEW");
        } else if (a == "submit") {
            require({"READY_FOR_REVIEW", "REJECTED"});
            set_state(*r, "WAITING_FOR_REVIEW");
        } else if (a == "start_review") {
            require({"WAITING_FOR_REVIEW"});
            set_state(*r, "IN_REVIEW");
        } else if (a == "approve") {
            require({"IN_REVIEW"});
            set_state(*r, "ACCEPTED");
        } else if (a == "reject") {
            require({"WAITING_FOR_REVIEW", "IN_REVIEW"});
            set_state(*r, "REJECTED");
        } else if (a == "distribute") {
            require({"ACCEPTED"});
            set_state(*r, "PROCESSING_FOR_DISTRIBUTION");
            out.release_processing.push_back(r->id);
        } else {
            throw std::invalid_argument("unknown App Store action '" + action +
                                        "' (create, ready, submit, start_review, approve, "
                                        "reject, distribute, advance)");
        }
    }
    refresh_asset(asset);
    return out;
}

void store::finish_release_processing(const std::string& release_id) {
    auto* r = find_release(release_id);
    if (!r)
        return;
    std::string ready;
    if (r->state == "PROCESSING_FOR_TESTING")
        ready = "READY_FOR_TESTING";
    else if (r->state == "PROCESSING_FOR_DISTRIBUTION")
        ready = "READY_FOR_DISTRIBUTION";
    else
        return;
    auto& version = versions_.at(r->version_id);
    auto& asset = assets_.at(version.asset_id);
    if (asset.archived)
        return;
    set_state(*r, ready);
    supersede_others(*r, ready);
    refresh_asset(asset);
}

void store::set_state(version_record& v, const std::string& state) {
    if (v.state == state)
        return;
    state_change c;
    c.resource_type = "backgroundAssetVersions";
    c.id = v.id;
    c.version_id = v.id;
    c.old_state = v.state;
    c.new_state = state;
    v.state = state;
    if (observer)
        observer(c);
}

void store::set_state(release_record& r, const std::string& state) {
    if (r.state == state)
        return;
    state_change c;
    c.resource_type = release_type(r.channel);
    c.id = r.id;
    c.version_id = r.version_id;
    c.channel = r.channel;
    c.old_state = r.state;
    c.new_state = state;
    r.state = state;
    if (observer)
        observer(c);
}

void store::created(const release_record& r) {
    state_change c;
    c.resource_type = release_type(r.channel);
    c.id = r.id;
    c.version_id = r.version_id;
    c.channel = r.channel;
    c.new_state = r.state;
    c.created = true;
    if (observer)
        observer(c);
}

void store::refresh_asset(background_asset_record& asset) {
    asset.app_store_version_id.clear();
    asset.internal_beta_version_id.clear();
    asset.external_beta_version_id.clear();
    asset.used_bytes = 0;
    if (asset.archived)
        return;
    for (auto& vid : asset.version_ids) {
        auto& v = versions_.at(vid);
        if (v.state != "COMPLETE")
            continue;
        bool live = false;
        auto check = [&](const std::string& rid, const char* ready, std::string& slot) {
            if (rid.empty())
                return;
            auto& r = releases_.at(rid);
            if (release_is_live(r))
                live = true;
            if (r.state == ready)
                slot = v.id;
        };
        check(v.internal_release_id, "READY_FOR_TESTING", asset.internal_beta_version_id);
        check(v.external_release_id, "READY_FOR_TESTING", asset.external_beta_version_id);
        check(v.app_store_release_id, "READY_FOR_DISTRIBUTION", asset.app_store_version_id);
        if (!live)
            continue;
        // A pack counts with its largest version that is still eligible somewhere.
        std::uint64_t bytes = 0;
        for (auto& fid : {v.asset_file_id, v.manifest_file_id})
            if (!fid.empty())
                bytes += files_.at(fid).file_size;
        asset.used_bytes = std::max(asset.used_bytes, bytes);
    }
}

} // namespace ascpp::sim
