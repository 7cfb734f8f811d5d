// ascpp::workflow::publish_batch: publish many asset packs concurrently, with one summary.
//
// A batch file is JSON (.json) or YAML (.yaml, .yml):
//
//   app: "1234567890"            # default app of every pack
//   packs:
//     - identifier: Tutorial
//       asset: packs/Tutorial.aar
//       manifest: packs/Tutorial/Manifest.json   # optional
//     - identifier: Level2
//       app: "9876543210"       # optional, overrides the default
//       asset: packs/Level2.aar
//
// (the same shape in JSON; a top-level list of packs is accepted too; an app id may be a JSON
// number or an unquoted YAML scalar). YAML means a subset: block mappings and block lists by
// indentation (spaces), plain, 'single' and "double" quoted scalars, # comments, one optional
// "---". Flow collections ([...], {...}), anchors, tags and block scalars (|, >) are refused
// with their line number, never misread. Unknown keys are errors (typos do not pass silently).
// Relative paths are resolved against the batch file's directory; a path leading outside that
// directory tree (absolute, "..", or through a symbolic link) is refused unless the caller
// allows it.
#pragma once

#include <ascpp/api/client.hpp>
#include <ascpp/async.hpp>
#include <ascpp/workflow/publish.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ascpp::workflow {

struct batch_entry {
    std::string app_id;
    std::string asset_pack_identifier;
    std::filesystem::path asset;
    std::optional<std::filesystem::path> manifest;
};

struct batch_file_options {
    // Accept paths that lead outside the batch file's directory (absolute or with "..").
    bool allow_paths_outside = false;
};

// A batch file that cannot be used: what() names the file, the entry and the problem.
class batch_file_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Reads a batch file: a .json file is JSON; any other is YAML unless its text starts with '{'
// or '[' (JSON is YAML too). Checks every entry (app id numeric, identifier and asset present,
// files exist and are regular files, paths inside the tree, identifiers not repeated for one
// app). Throws batch_file_error; entries are numbered from 1 in messages ("entry 3 (Level2)").
std::vector<batch_entry> load_batch_file(const std::filesystem::path& file,
                                         batch_file_options options = batch_file_options());
// The same from text; `base_dir` resolves relative paths, `name` is used in messages.
std::vector<batch_entry> parse_batch(std::string_view text, const std::filesystem::path& base_dir,
                                     std::string_view name = "batch",
                                     batch_file_options options = batch_file_options());

// What a batch expects of the key's rate limit (X-Rate-Limit user-hour-lim / user-hour-rem),
// once its packs are looked up. The client keeps every request within the budget (api::
// client_config::client_side_rate_limit), so a batch that needs more than the window holds
// waits for room instead of drawing 429s; this says how long that should make it.
struct batch_plan {
    std::size_t packs = 0;
    // An estimate: per pack, its reads and writes (a new pack: create pack, version, reserve,
    // commit; an existing one: the comparison read instead of the create; a manifest adds a
    // reservation and a commit) and, when waited for, about 1.5 looks at its version.
    std::uint64_t expected_requests = 0;
    // The budget as the lookup's response reported it (unknown when it carried no X-Rate-Limit
    // or no lookup was made).
    std::optional<std::int64_t> limit;
    std::optional<std::int64_t> available;
    std::chrono::milliseconds window{0};
    // Windows the batch needs beyond what is available now, and when the budget lets it end at
    // the earliest (now when it fits; the work itself may take longer).
    std::uint64_t extra_windows = 0;
    std::chrono::system_clock::time_point earliest_finish{};
};

struct batch_options {
    // Options of each publish (their journal and watcher are set per entry / shared).
    publish_options publish;
    // Publishes running at once. Part uploads are bounded by the shared limiter
    // (publish.upload.limiter) whatever this is.
    std::size_t max_concurrent_publishes = 4;
    // A directory for one resume journal per entry (<app>-<identifier>.journal); none: no
    // journals.
    std::optional<std::filesystem::path> journal_directory;
    // The packs are looked up before the publishes start, with one listing request (filter
    // [assetPackIdentifier]) per app and per this many identifiers, instead of one per pack.
    // Apple documents no limit on the number of values of a filter; 50 keeps the URL short. 0:
    // each publish looks its pack up itself.
    std::size_t identifiers_per_lookup = 50;
    // Called once with the batch's plan, before the first publish starts.
    std::function<void(const batch_plan&)> on_plan;
};

struct batch_item {
    batch_entry entry;
    bool succeeded = false;
    std::string error; // why it failed (empty on success)
    std::optional<publish_result> result;
};

struct batch_summary {
    std::vector<batch_item> items; // in the order of the entries
    std::size_t succeeded = 0;     // published or unchanged
    std::size_t unchanged = 0;     // succeeded without a new version (publish_result::unchanged)
    std::size_t failed = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_resumed = 0;
    // HTTP requests the API client sent during the batch (retries included), and the requests
    // the publishes account for.
    std::uint64_t api_requests = 0;
    std::uint64_t publish_api_requests = 0;
    // The requests of the shared pack lookup (batch_options::identifiers_per_lookup).
    std::uint64_t lookup_api_requests = 0;
    std::chrono::milliseconds duration{0};
    batch_plan plan;
    // The key's budget as the batch ended, and the 429 responses the client received meanwhile.
    api::rate_limit_status rate_limit;
    std::uint64_t rate_limited = 0;

    // Entries that made a new version (or continued one).
    std::size_t published() const noexcept { return succeeded - unchanged; }
};

// Never throws for a failed entry (it is in the summary); throws only when cancelled
// (system_error(operation_aborted), after every publish stopped).
asio::awaitable<batch_summary> publish_batch(api::client& client, std::vector<batch_entry> entries,
                                             batch_options options = batch_options());

template <class CompletionToken = default_token>
auto async_publish_batch(api::client& client, std::vector<batch_entry> entries,
                         batch_options options = batch_options(), CompletionToken&& token = {}) {
    return run_async(client.executor(),
                     publish_batch(client, std::move(entries), std::move(options)),
                     std::forward<CompletionToken>(token));
}

} // namespace ascpp::workflow
