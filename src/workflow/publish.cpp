#include "../detail/transient.hpp"
#include "pack_lookup.hpp"

#include <ascpp/detail/blocking.hpp>
#include <ascpp/upload/backoff.hpp>
#include <ascpp/workflow/publish.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <functional>
#include <random>
#include <stdexcept>

namespace ascpp::workflow {

namespace {

using clock = std::chrono::steady_clock;

std::chrono::milliseconds since(clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t);
}

std::string delivery_state_of(const api::background_asset_upload_file& f) {
    if (f.attributes && f.attributes->asset_delivery_state &&
        f.attributes->asset_delivery_state->state)
        return f.attributes->asset_delivery_state->state->str();
    return {};
}

std::string version_state_of(const api::background_asset_version& v) {
    return v.attributes && v.attributes->state ? v.attributes->state->str() : std::string();
}

bool committed(std::string_view s) {
    return s == api::delivery_state::upload_complete || s == api::delivery_state::complete;
}

// How a local file compares with the file of that type on the newest processed version.
enum class match { same, differs, unknown };

struct file_comparison {
    match outcome = match::unknown;
    std::string why; // empty when the same
};

std::string label_of(const api::background_asset_version& v) {
    std::string out = "version ";
    out += v.attributes && v.attributes->version ? *v.attributes->version : v.id;
    out += " (" + v.id + ", " + version_state_of(v) + ")";
    return out;
}

// `local`: the SHA-256 of this publish's file of `type`, none when the publish has no such file.
// `remote`: that version's file of `type` as included in the listing, or null.
file_comparison compare_file(std::string_view type,
                             const std::optional<upload::known_checksum>& known,
                             const api::background_asset_upload_file* remote,
                             const std::string& version) {
    const std::string t(type);
    const upload::digest* local = known ? &known->value : nullptr;
    if (!local && !remote)
        return {match::same, {}};
    if (!local)
        return {match::differs, version + " has a " + t + " and this publish has none"};
    if (!remote) {
        if (type == api::asset_type::manifest)
            return {match::differs, version + " has no " + t + " and this publish has one"};
        return {match::unknown, "the service did not include the " + t + " of " + version};
    }
    const auto& attrs = remote->attributes;
    if (!attrs || !attrs->source_file_checksums || !attrs->source_file_checksums->file ||
        !attrs->source_file_checksums->file->hash)
        return {match::unknown,
                "the service returned no sourceFileChecksums.file for the " + t + " of " + version};
    const auto& file = *attrs->source_file_checksums->file;
    if (!file.algorithm || file.algorithm->str() != api::checksum_algorithm::sha_256)
        return {match::unknown, "the checksum of the " + t + " of " + version + " is " +
                                    (file.algorithm ? file.algorithm->str() : "of no algorithm") +
                                    ", not SHA_256"};
    const auto theirs = upload::digest_from_hex(*file.hash, 32);
    if (theirs.size == 0)
        return {match::unknown, "the SHA_256 of the " + t + " of " + version +
                                    " is not a SHA-256 digest: '" + *file.hash + "'"};
    if (theirs != *local)
        return {match::differs, "the " + t + " differs from the one of " + version + " (SHA-256 " +
                                    local->hex() + ", was " + theirs.hex() + ")"};
    return {match::same, {}};
}

std::vector<std::string> default_release_states(release_channel c) {
    if (c == release_channel::app_store)
        return {std::string(api::release_state::ready_for_distribution)};
    return {std::string(api::release_state::ready_for_testing)};
}

struct publisher {
    api::client& client;
    publish_request req;
    publish_options opts;
    std::shared_ptr<upload::journal> journal;
    std::shared_ptr<std::atomic<std::uint64_t>> requests =
        std::make_shared<std::atomic<std::uint64_t>>(0);
    publish_result result;
    // The pack's newest AWAITING_UPLOAD version (or that it has none) when an earlier read of
    // this publish told it: the pack was created now, or the comparison's listing saw every
    // version that could be it. Used once: a step run again after a failure reads again.
    std::optional<std::optional<api::background_asset_version>> awaiting_known;
    std::mt19937_64 rng{std::random_device{}()}; // reconcile delays
    // SHA-256 of the archive and the manifest, for the comparison (not computed when forced),
    // then given to their uploads so that they are not read again.
    std::optional<upload::known_checksum> asset_sha, manifest_sha;

    void count(std::uint64_t n = 1) { *requests += n; }

    asio::awaitable<void> save_journal() {
        if (auto j = journal) {
            // A named function: GCC 12 destroys a lambda or braced temporary in a co_await
            // expression twice.
            std::function<void()> save = [j] { j->save(); };
            co_await ascpp::detail::run_blocking(save);
        }
    }

    // The journal belongs to one app and pack: refuse another one's.
    void check_journal() {
        if (!journal)
            return;
        auto app = journal->value("app_id");
        auto pack = journal->value("asset_pack_identifier");
        if ((app && *app != req.app_id) || (pack && *pack != req.asset_pack_identifier))
            throw upload::upload_error(upload::upload_errc::journal_mismatch,
                                       "journal " + journal->path().string() + " belongs to app " +
                                           app.value_or("?") + ", asset pack " +
                                           pack.value_or("?") + ", not to app " + req.app_id +
                                           ", asset pack " + req.asset_pack_identifier);
        journal->set_value("app_id", req.app_id);
        journal->set_value("asset_pack_identifier", req.asset_pack_identifier);
    }

    asio::awaitable<std::optional<api::background_asset>> find_pack() {
        std::vector<std::string> identifiers{req.asset_pack_identifier};
        std::function<void()> counter = [this] { count(); };
        auto packs = co_await detail::list_packs(client, req.app_id, std::move(identifiers),
                                                 std::move(counter));
        for (auto& pack : packs)
            if (pack.attributes &&
                pack.attributes->asset_pack_identifier == req.asset_pack_identifier)
                co_return std::move(pack);
        co_return std::nullopt;
    }

    asio::awaitable<void> find_or_create_pack() {
        // Known absent (the caller looked): no lookup in the first round.
        const bool look = !req.asset_pack_absent;
        req.asset_pack_absent = false;
        std::optional<api::background_asset> pack;
        if (auto id = look && journal ? journal->value("background_asset_id") : std::nullopt) {
            try {
                count();
                pack = (co_await client.get_background_asset(*id)).data;
            } catch (const api::api_error& e) {
                if (e.status() != 404)
                    throw;
            }
        }
        if (!pack && look)
            pack = co_await find_pack();
        if (!pack) {
            bool conflict = false;
            try {
                count();
                // A named request: GCC 12 destroys a braced temporary in a co_await twice.
                api::background_asset_create_request create;
                create.app_id = req.app_id;
                create.asset_pack_identifier = req.asset_pack_identifier;
                pack = (co_await client.create_background_asset(std::move(create))).data;
                result.asset_pack_created = true;
                awaiting_known.emplace(); // a pack created now has no versions
            } catch (const api::api_error& e) {
                // Someone created it meanwhile (or a lost response was retried): use theirs.
                if (e.status() != 409)
                    throw;
                conflict = true;
            }
            if (conflict) {
                pack = co_await find_pack();
                if (!pack)
                    throw std::runtime_error("asset pack " + req.asset_pack_identifier +
                                             " could not be created (409) and is not listed");
            }
        }
        result.asset_pack = std::move(*pack);
        if (journal)
            journal->set_value("background_asset_id", result.asset_pack.id);
    }

    // Hashes the files to publish on the hashing pool, before anything is reserved.
    asio::awaitable<void> hash_files() {
        asset_sha = co_await checksum_of(req.asset);
        if (req.manifest)
            manifest_sha = co_await checksum_of(*req.manifest);
    }

    static asio::awaitable<upload::known_checksum> checksum_of(std::filesystem::path path) {
        upload::known_checksum k;
        k.algorithm = upload::hash_algorithm::sha_256;
        // Identified first: a file changed while it is hashed no longer matches at the upload.
        k.identity = upload::journal::identify(path);
        k.value = co_await upload::checksum_file(std::move(path), k.algorithm);
        co_return k;
    }

    // The upload options of the file of `type`: this publish's journal, and the checksum the
    // comparison computed, if any.
    upload::upload_options upload_options_for(api::asset_type type) const {
        auto uo = opts.upload;
        uo.journal = journal;
        uo.journal_key = type.str();
        uo.known_file_checksum = type == api::asset_type::manifest ? manifest_sha : asset_sha;
        return uo;
    }

    // Reads the newest COMPLETE or PROCESSING version with its files (one request) and compares
    // their sourceFileChecksums with the local files. Sets result.unchanged and the version.
    asio::awaitable<void> compare_with_newest() {
        api::background_asset_versions_query q;
        // AWAITING_UPLOAD too, so that the version to continue (if any) is known without a
        // listing of its own: it is normally the newest, and a few versions are enough.
        q.filter_state = {api::background_asset_version_state::complete,
                          api::background_asset_version_state::processing,
                          api::background_asset_version_state::awaiting_upload};
        q.sort = {"-version"};
        q.limit = 5;
        q.include = {std::string(api::includes::background_asset_version::asset_file),
                     std::string(api::includes::background_asset_version::manifest_file)};
        q.fields_background_asset_upload_files = {"assetType", "fileName", "fileSize",
                                                  "assetDeliveryState", "sourceFileChecksums"};
        count();
        auto page =
            co_await client.list_background_asset_versions(result.asset_pack.id, std::move(q));
        api::background_asset_version* found = nullptr;
        const api::background_asset_version* awaiting = nullptr;
        for (auto& v : page.data) {
            if (version_state_of(v) == api::background_asset_version_state::awaiting_upload) {
                if (!awaiting)
                    awaiting = &v;
            } else if (!found) {
                found = &v;
            }
        }
        // A full page without one may hide an older AWAITING_UPLOAD version: then it is looked
        // for later, as without this listing.
        if (awaiting)
            awaiting_known.emplace(*awaiting);
        else if (!page.has_next())
            awaiting_known.emplace();
        if (!found) {
            result.comparison = page.has_next()
                                    ? "none of the asset pack's 5 newest versions is COMPLETE or "
                                      "PROCESSING: published without comparing"
                                    : "the asset pack has no COMPLETE or PROCESSING version to "
                                      "compare with";
            co_return;
        }
        auto& newest = *found;
        const auto version = label_of(newest);
        const api::background_asset_upload_file* asset = nullptr;
        const api::background_asset_upload_file* manifest = nullptr;
        if (newest.relationships) {
            using file = api::background_asset_upload_file;
            asset = page.included.find<file>(newest.relationships->asset_file);
            manifest = page.included.find<file>(newest.relationships->manifest_file);
        }
        const auto a = compare_file(api::asset_type::asset, asset_sha, asset, version);
        const auto m = compare_file(api::asset_type::manifest, manifest_sha, manifest, version);
        if (a.outcome == match::same && m.outcome == match::same) {
            result.unchanged = true;
            result.comparison = std::string(req.manifest ? "the archive and the manifest match"
                                                         : "the archive matches") +
                                " the SHA-256 of " + version;
            result.version = std::move(newest);
        } else if (a.outcome == match::differs || m.outcome == match::differs) {
            result.comparison = a.outcome == match::differs ? a.why : m.why;
        } else {
            result.comparison =
                (a.outcome == match::unknown ? a.why : m.why) + "; published without comparing";
        }
    }

    asio::awaitable<void> find_or_create_version() {
        std::optional<api::background_asset_version> version;
        if (auto id = journal ? journal->value("version_id") : std::nullopt) {
            try {
                count();
                version = (co_await client.get_background_asset_version(*id)).data;
            } catch (const api::api_error& e) {
                if (e.status() != 404)
                    throw;
            }
            // A FAILED version is final: this publish needs a new one.
            if (version &&
                version_state_of(*version) == api::background_asset_version_state::failed)
                version.reset();
        }
        bool looked = false;
        if (!version && awaiting_known) {
            version = std::move(*awaiting_known);
            awaiting_known.reset();
            looked = true;
        }
        if (!version && !looked) {
            api::background_asset_versions_query q;
            q.filter_state = {api::background_asset_version_state::awaiting_upload};
            q.sort = {"-version"};
            q.limit = 1;
            count();
            auto page =
                co_await client.list_background_asset_versions(result.asset_pack.id, std::move(q));
            if (!page.data.empty())
                version = std::move(page.data.front());
        }
        if (!version) {
            count();
            api::background_asset_version_create_request create;
            create.background_asset_id = result.asset_pack.id;
            version = (co_await client.create_background_asset_version(std::move(create))).data;
            result.version_created = true;
        }
        result.version = std::move(*version);
        if (journal) {
            if (journal->value("version_id") != result.version.id) {
                // Reservations recorded for another version are of no use any more.
                journal->erase_entry(api::asset_type::manifest);
                journal->erase_entry(api::asset_type::asset);
            }
            journal->set_value("version_id", result.version.id);
        }
        co_await save_journal();
    }

    // An uncommitted reservation of this very file (a previous run without a journal): read it
    // for fresh operations and send everything again.
    asio::awaitable<upload::upload_result>
    continue_reservation(api::asset_type type, const api::background_asset_upload_file& same,
                         const std::filesystem::path& path, const std::string& name,
                         const upload::journal::file_identity& identity,
                         upload::upload_options uo) {
        count();
        api::background_asset_upload_file_query q;
        auto fresh = (co_await client.get_background_asset_upload_file(same.id, q)).data;
        if (journal) {
            // Recorded with its version, so that a later run resumes this reservation.
            upload::journal_entry e;
            e.upload_file_id = same.id;
            e.background_asset_version_id = result.version.id;
            e.asset_type = type.str();
            e.file_name = name;
            e.path = identity.path;
            e.size = identity.size;
            e.mtime_ns = identity.mtime_ns;
            journal->set_entry(type.str(), std::move(e));
        }
        co_return co_await upload::upload_file(client, std::move(fresh), path, std::move(uo));
    }

    asio::awaitable<upload::upload_result> reserve(api::asset_type type,
                                                   const std::filesystem::path& path,
                                                   const std::string& name,
                                                   upload::upload_options uo) {
        upload::reserve_request rr;
        rr.background_asset_version_id = result.version.id;
        rr.asset_type = type;
        rr.path = path;
        rr.file_name = name;
        co_return co_await upload::reserve_and_upload(client, std::move(rr), std::move(uo));
    }

    asio::awaitable<void> send(api::asset_type type, const std::filesystem::path& path,
                               const std::vector<api::background_asset_upload_file>& existing) {
        const auto name = path.filename().string();
        const auto identity = upload::journal::identify(path);
        const api::background_asset_upload_file* same = nullptr;
        for (const auto& f : existing) {
            if (!f.attributes || f.attributes->asset_type != type)
                continue;
            auto state = delivery_state_of(f);
            if (state == api::delivery_state::failed)
                continue;
            bool matches = f.attributes->file_name == name && f.attributes->file_size &&
                           static_cast<std::uint64_t>(*f.attributes->file_size) == identity.size;
            if (committed(state)) {
                if (!matches)
                    throw std::runtime_error(
                        "version " + result.version.id + " already has a committed " + type.str() +
                        " (" + f.attributes->file_name.value_or("?") + ", " +
                        std::to_string(f.attributes->file_size.value_or(0)) +
                        " bytes) that differs from " + path.string() +
                        "; it cannot be replaced: publish again after it is processed");
                // Committed by an earlier round of this publish (reconciled): not skipped.
                const bool sent_now =
                    std::any_of(result.uploads.begin(), result.uploads.end(),
                                [&](const upload::upload_result& u) { return u.file.id == f.id; });
                if (!sent_now)
                    result.skipped_files.push_back(name);
                co_return;
            }
            if (matches)
                same = &f;
        }

        auto uo = upload_options_for(type);
        upload::upload_result r;
        // A reservation whose parts keep failing (e.g. URLs that expired and that re-reading does
        // not renew) is replaced by a new one, at most twice: the service lets a new reservation
        // take the place of an uncommitted one.
        constexpr int max_reservations = 3;
        for (int attempt = 0; attempt < max_reservations; ++attempt) {
            auto entry = journal ? journal->entry(type.str()) : std::nullopt;
            bool failed_parts = false;
            try {
                if (attempt == 0 && same && !(entry && entry->upload_file_id == same->id))
                    r = co_await continue_reservation(type, *same, path, name, identity, uo);
                else
                    r = co_await reserve(type, path, name, uo);
            } catch (const upload::upload_error& e) {
                if (e.code() != upload::upload_errc::part_failed || attempt + 1 == max_reservations)
                    throw;
                failed_parts = true;
            }
            if (!failed_parts)
                break;
            if (journal) {
                journal->erase_entry(type.str());
                co_await save_journal();
            }
            uo = upload_options_for(type);
        }
        result.bytes_sent += r.stats.bytes_sent;
        result.bytes_resumed += r.stats.bytes_resumed;
        count(r.stats.api_requests);
        result.uploads.push_back(std::move(r));
    }

    asio::awaitable<void> upload_files() {
        api::background_asset_upload_files_query q;
        q.fields_background_asset_upload_files = {"assetType", "fileName", "fileSize",
                                                  "assetDeliveryState"};
        q.limit = 200;
        std::vector<api::background_asset_upload_file> existing;
        // A version this publish just created has no files yet.
        if (!result.version_created) {
            auto pages = client.paginate_background_asset_upload_files(result.version.id, q);
            for (int n = 0; n < 10; ++n) {
                count();
                auto page = co_await pages.next_page();
                if (!page)
                    break;
                for (auto& f : page->data)
                    existing.push_back(std::move(f));
                if (!page->has_next())
                    break;
            }
        }
        if (req.manifest)
            co_await send(api::asset_type::manifest, *req.manifest, existing);
        co_await send(api::asset_type::asset, req.asset, existing);
    }

    asio::awaitable<void> wait() {
        auto watcher = opts.watcher ? opts.watcher : std::make_shared<state_watcher>(client);
        auto wo = opts.watch;
        wo.background_asset_id = result.asset_pack.id;
        wo.requests = requests;
        // Files this publish committed just now: the version's processing starts now, so its
        // first look is timed from what processing is expected to take.
        if (!wo.processing_bytes && !result.uploads.empty()) {
            std::uint64_t bytes = 0;
            for (const auto& u : result.uploads)
                bytes += u.stats.file_size;
            wo.processing_bytes = bytes;
        }
        // With notifications (the receiver runs since before the version was read), a version
        // read AWAITING_UPLOAD or PROCESSING cannot be COMPLETE before they tell.
        const auto read_state = version_state_of(result.version);
        wo.first_look_at_once =
            !wo.changes_pushed ||
            (read_state != api::background_asset_version_state::awaiting_upload &&
             read_state != api::background_asset_version_state::processing);
        const auto version_id = result.version.id;
        bool failed = false;
        std::optional<api::state_details> details;
        // A named vector: GCC 12 cannot keep a braced list's array in a coroutine frame.
        std::vector<api::background_asset_version_state> goal;
        goal.emplace_back(api::background_asset_version_state::complete);
        try {
            auto read = co_await watcher->wait_for_version(version_id, std::move(goal), wo);
            // A notified state comes without the version's other attributes: keep those read.
            if (read.attributes && read.attributes->version)
                result.version = std::move(read);
            else {
                if (!result.version.attributes)
                    result.version.attributes.emplace();
                result.version.attributes->state = api::background_asset_version_state::complete;
            }
            result.version_state = api::background_asset_version_state::complete;
        } catch (const watch_error& e) {
            if (e.why() != watch_error::reason::unreachable ||
                e.last_state() != api::background_asset_version_state::failed)
                throw;
            failed = true;
            details = e.details();
        }
        if (failed) {
            result.processing_failed = true;
            result.version_state = api::background_asset_version_state::failed;
            result.state_details = std::move(details);
            co_return;
        }
        if (opts.release) {
            std::vector<std::string> states;
            for (const auto& state : opts.release->states)
                states.push_back(state.str());
            if (states.empty())
                states = default_release_states(opts.release->channel);
            result.release = co_await watcher->wait_for_release(version_id, opts.release->channel,
                                                                std::move(states), wo);
        }
    }

    // Runs a find-or-create step again after a transient failure (src/detail/transient.hpp). After
    // a 5xx or a lost connection the create may or may not have happened; after a 429 or a
    // refused connection it did not. The step looks before it creates, so running it again is
    // right either way: a second round finds what the first made, or makes what it did not.
    asio::awaitable<void> reconciled(asio::awaitable<void> (publisher::*step)()) {
        upload::retry_options pacing; // the upload engine's backoff, from reconcile_delay
        pacing.initial_delay = opts.reconcile_delay;
        pacing.max_delay = opts.reconcile_delay * 64;
        for (unsigned round = 0;; ++round) {
            std::exception_ptr failure;
            try {
                co_await (this->*step)();
                co_return;
            } catch (...) {
                failure = std::current_exception();
            }
            if (round >= opts.reconcile_rounds || !ascpp::detail::is_transient_failure(failure))
                std::rethrow_exception(failure);
            ++result.reconciled_steps;
            asio::steady_timer timer(co_await asio::this_coro::executor);
            timer.expires_after(upload::backoff_delay(pacing, round + 1, rng));
            co_await timer.async_wait(asio::use_awaitable);
        }
    }

    asio::awaitable<publish_result> run() {
        const auto started = clock::now();
        if (req.app_id.empty() || req.asset_pack_identifier.empty())
            throw std::invalid_argument("publish: the app id and the asset pack identifier are "
                                        "required");
        upload::journal::identify(req.asset); // fails early on a missing file
        if (req.manifest)
            upload::journal::identify(*req.manifest);
        if (opts.journal) {
            journal = std::make_shared<upload::journal>(*opts.journal);
            check_journal();
        }

        // A journal naming a version: an interrupted publish goes on with its own version.
        const bool resuming = journal && journal->value("version_id").has_value();
        const bool compare = !opts.force && !resuming;
        if (opts.force)
            result.comparison = "forced: published without comparing";
        else if (resuming)
            result.comparison = "resuming the journal's version: not compared";
        else
            co_await hash_files();

        if (req.asset_pack) {
            result.asset_pack = std::move(*req.asset_pack);
            if (journal)
                journal->set_value("background_asset_id", result.asset_pack.id);
        } else {
            co_await reconciled(&publisher::find_or_create_pack);
        }
        if (compare) {
            const auto& attrs = result.asset_pack.attributes;
            if (result.asset_pack_created)
                result.comparison = "a new asset pack: nothing to compare with";
            else if (attrs && attrs->archived.value_or(false))
                // Not reported as unchanged: the service's refusal says what is wrong.
                result.comparison = "the asset pack is archived: not compared";
            else
                co_await reconciled(&publisher::compare_with_newest);
        }
        if (result.unchanged) {
            co_return co_await follow_unchanged(started);
        }

        co_await reconciled(&publisher::find_or_create_version);
        const auto state = version_state_of(result.version);
        if (state.empty() || state == api::background_asset_version_state::awaiting_upload) {
            co_await reconciled(&publisher::upload_files);
        } else {
            // The journal's version was uploaded already (PROCESSING or COMPLETE): every file
            // was skipped, as when the version had only some of them committed.
            if (req.manifest)
                result.skipped_files.push_back(req.manifest->filename().string());
            result.skipped_files.push_back(req.asset.filename().string());
        }
        result.upload_duration = since(started);

        if (opts.wait_for_processing || opts.release) {
            const auto waiting = clock::now();
            co_await wait();
            result.processing_duration = since(waiting);
        }
        co_return co_await finish(started);
    }

    // An unchanged pack: nothing to send; the waits follow the version that holds the files. A
    // version COMPLETE already needs no poll unless a release state is awaited.
    asio::awaitable<publish_result> follow_unchanged(clock::time_point started) {
        result.upload_duration = since(started);
        const bool complete =
            version_state_of(result.version) == api::background_asset_version_state::complete;
        if (complete)
            result.version_state = api::background_asset_version_state::complete;
        if ((opts.wait_for_processing && !complete) || opts.release) {
            const auto waiting = clock::now();
            co_await wait();
            result.processing_duration = since(waiting);
        }
        co_return co_await finish(started);
    }

    asio::awaitable<publish_result> finish(clock::time_point started) {
        result.api_requests = requests->load();
        result.duration = since(started);
        if (journal && result.succeeded()) {
            std::function<void()> remove = [j = journal] { j->remove(); };
            co_await ascpp::detail::run_blocking(remove);
        }
        co_return std::move(result);
    }
};

} // namespace

asio::awaitable<publish_result> publish(api::client& client, publish_request request,
                                        publish_options options) {
    publisher p{client, std::move(request), std::move(options)};
    co_return co_await p.run();
}

} // namespace ascpp::workflow
