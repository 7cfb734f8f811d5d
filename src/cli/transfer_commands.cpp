// upload, publish and batch: the commands that move bytes.
#include "context.hpp"
#include "webhooks.hpp"

#include "duration.hpp"
#include "exit_code.hpp"
#include "failure.hpp"
#include "states.hpp"
#include "upload_progress.hpp"

#include <ascpp/upload/journal.hpp>
#include <ascpp/upload/limiter.hpp>
#include <ascpp/upload/upload_file.hpp>
#include <ascpp/workflow/batch.hpp>
#include <ascpp/workflow/publish.hpp>

#include <boost/json/value_from.hpp>

#include <algorithm>
#include <functional>
#include <ostream>

namespace ascpp::cli {

namespace json = boost::json;

namespace {

constexpr unsigned default_concurrency = 8;

std::shared_ptr<upload::limiter> make_limiter(const global_options& g) {
    upload::limiter_options o;
    o.max_concurrent_parts = g.concurrency.value_or(default_concurrency);
    o.max_concurrent_parts_per_host = o.max_concurrent_parts;
    return std::make_shared<upload::limiter>(o);
}

std::shared_ptr<upload::journal> open_journal(const std::optional<std::string>& path) {
    if (!path)
        return nullptr;
    try {
        return std::make_shared<upload::journal>(*path);
    } catch (const upload::upload_error& e) {
        throw usage_error("--journal " + *path + ": " + e.what());
    }
}

std::string rate_text(std::uint64_t bytes, std::chrono::milliseconds took) {
    if (took.count() <= 0)
        return "-";
    return format_bytes(static_cast<std::uint64_t>(static_cast<double>(bytes) * 1000.0 /
                                                   static_cast<double>(took.count()))) +
           "/s";
}

json::object upload_summary(const upload::upload_result& r) {
    const auto& s = r.stats;
    json::object o{{"fileSize", s.file_size},
                   {"bytesSent", s.bytes_sent},
                   {"bytesResumed", s.bytes_resumed},
                   {"parts", s.parts},
                   {"partsSent", s.parts_sent},
                   {"partsResumed", s.parts_resumed},
                   {"partRetries", s.part_retries},
                   {"urlRefreshes", s.url_refreshes},
                   {"apiRequests", s.api_requests},
                   {"seconds", static_cast<double>(s.duration.count()) / 1000.0}};
    if (r.file_checksum.size)
        o["fileChecksum"] = {{"algorithm", upload::to_string(r.file_checksum_algorithm)},
                             {"hash", r.file_checksum.hex()}};
    if (r.composite_checksum.size)
        o["compositeChecksum"] = {{"algorithm", "MD5"}, {"hash", r.composite_checksum.hex()}};
    return o;
}

std::string upload_summary_line(const upload::upload_result& r) {
    const auto& s = r.stats;
    std::string line = "Uploaded " + format_bytes(s.file_size - s.bytes_resumed) + " in " +
                       format_duration(s.duration) + " (" + rate_text(s.bytes_sent, s.duration) +
                       "), " + std::to_string(s.parts) + (s.parts == 1 ? " part" : " parts");
    if (s.parts_resumed)
        line += ", " + std::to_string(s.parts_resumed) + " resumed from the journal";
    if (s.part_retries)
        line += ", " + std::to_string(s.part_retries) + " retried";
    return line;
}

void print_upload(printer& out, const upload::upload_result& result) {
    if (out.format() == output_format::json) {
        json::object doc;
        doc["data"] = json::value_from(result.file);
        doc["upload"] = upload_summary(result);
        out.print_json(doc);
    } else {
        print_resource_details(out.stream(), json::value_from(result.file).as_object());
        out.stream() << upload_summary_line(result) << '\n';
    }
}

asio::awaitable<void> upload_command(context& ctx) {
    const auto& a = ctx.args();
    upload::reserve_request req;
    req.background_asset_version_id = a.version;
    req.asset_type = api::asset_type(a.asset_type);
    req.path = a.file;

    upload::upload_options options;
    options.limiter = make_limiter(ctx.inv.global);
    options.progress = make_progress_tracker(ctx.progress);
    options.journal = open_journal(a.journal);

    ctx.note("Reserving " + req.path.filename().string() + " (" + a.asset_type + ") on version " +
             a.version);
    auto result = co_await upload::reserve_and_upload(ctx.client, req, options);
    ctx.progress.finish();

    print_upload(ctx.out, result);
}

// Polls start quick (the service often processes a pack in seconds) and back off to spare the
// hourly request budget.
workflow::poll_policy cli_poll_policy() {
    workflow::poll_policy p;
    p.initial = std::chrono::milliseconds(500);
    p.multiplier = 1.5;
    p.max = std::chrono::seconds(30);
    return p;
}

// With --webhook-listen: a receiver that wakes the publishes' shared watcher, whose polls become
// the fallback for a lost delivery.
std::unique_ptr<workflow::webhook_receiver> listen_for_webhooks(context& ctx,
                                                                workflow::publish_options& o) {
    const auto& a = ctx.args();
    if (!a.webhook_listen)
        return nullptr;
    auto watcher = std::make_shared<workflow::state_watcher>(ctx.client);
    auto receiver = std::make_unique<workflow::webhook_receiver>(
        ctx.client.executor(), webhook_receiver_options_of(a), watcher);
    o.watcher = std::move(watcher);
    o.watch.changes_pushed = true;
    o.watch.poll = webhook_fallback_policy(a);
    ctx.note("Listening for webhook deliveries on port " + std::to_string(receiver->port()));
    return receiver;
}

// The states a publish waits through, labelled for the progress display.
std::function<void(std::string_view)> state_display(progress_reporter& progress, std::string pack) {
    return [&progress, pack = std::move(pack)](std::string_view state) {
        bool is_version_state =
            std::find(version_states.begin(), version_states.end(), state) != version_states.end();
        progress.state(pack + (is_version_state ? " version: " : " release: ") +
                       std::string(state));
    };
}

std::string details_text(const std::optional<api::state_details>& d) {
    std::string out;
    if (!d)
        return out;
    auto add = [&](const char* kind, const std::optional<std::vector<api::state_detail>>& items) {
        if (!items)
            return;
        for (const auto& i : *items)
            out += std::string("\n  ") + kind + " " + i.code.value_or("-") +
                   (i.description ? ": " + *i.description : "");
    };
    add("error", d->errors);
    add("warning", d->warnings);
    return out;
}

json::value release_json(const std::optional<workflow::release_status>& r) {
    if (!r)
        return nullptr;
    return json::object{{"channel", channel_name(r->channel)}, {"id", r->id}, {"state", r->state}};
}

json::value string_or_null(const std::string& s) {
    if (s.empty())
        return nullptr;
    return json::value(s);
}

// The publish document of `--output json` (docs/cli.md "JSON output").
json::object publish_json(const workflow::publish_result& r) {
    json::array uploads;
    for (const auto& u : r.uploads)
        uploads.push_back(
            json::object{{"data", json::value_from(u.file)}, {"upload", upload_summary(u)}});
    json::array skipped;
    for (const auto& s : r.skipped_files)
        skipped.push_back(json::value(s));
    json::object o{
        {"assetPack", json::value_from(r.asset_pack)},
        {"assetPackCreated", r.asset_pack_created},
        {"version", json::value_from(r.version)},
        {"versionCreated", r.version_created},
        {"unchanged", r.unchanged},
        {"comparison", string_or_null(r.comparison)},
        {"uploads", std::move(uploads)},
        {"skippedFiles", std::move(skipped)},
        {"versionState", string_or_null(r.version_state)},
        {"processingFailed", r.processing_failed},
        {"stateDetails",
         r.state_details ? json::value_from(*r.state_details) : json::value(nullptr)},
        {"release", release_json(r.release)},
        {"bytesSent", r.bytes_sent},
        {"bytesResumed", r.bytes_resumed},
        {"apiRequests", r.api_requests},
        {"uploadSeconds", static_cast<double>(r.upload_duration.count()) / 1000.0},
        {"processingSeconds", static_cast<double>(r.processing_duration.count()) / 1000.0},
        {"seconds", static_cast<double>(r.duration.count()) / 1000.0}};
    return o;
}

void print_publish_table(std::ostream& out, const workflow::publish_result& r) {
    const auto& pack = r.asset_pack;
    std::string identifier = pack.attributes && pack.attributes->asset_pack_identifier
                                 ? *pack.attributes->asset_pack_identifier
                                 : std::string("-");
    std::string number = r.version.attributes && r.version.attributes->version
                             ? *r.version.attributes->version
                             : std::string("-");
    std::string state = r.version_state;
    if (state.empty() && r.version.attributes && r.version.attributes->state)
        state = r.version.attributes->state->str();
    table t({"WHAT", "ID", "DETAILS"});
    t.add_row({"asset pack", pack.id,
               identifier + (r.asset_pack_created ? " (created)" : " (existing)")});
    t.add_row({"version", r.version.id,
               "version " + number + ", " + (state.empty() ? "-" : state) +
                   (r.unchanged         ? " (unchanged: nothing sent)"
                    : r.version_created ? " (created)"
                                        : " (continued)")});
    for (const auto& u : r.uploads) {
        std::string type = u.file.attributes && u.file.attributes->asset_type
                               ? u.file.attributes->asset_type->str()
                               : std::string("FILE");
        std::string name = u.file.attributes && u.file.attributes->file_name
                               ? *u.file.attributes->file_name
                               : std::string("-");
        t.add_row({"upload file", u.file.id, type + " " + name + ": " + upload_summary_line(u)});
    }
    for (const auto& s : r.skipped_files)
        t.add_row({"upload file", "-", s + ": already uploaded"});
    if (r.release)
        t.add_row({std::string(channel_name(r.release->channel)) + " release", r.release->id,
                   r.release->state});
    t.print(out);
    out << "Done in " << format_duration(r.duration) << " (upload "
        << format_duration(r.upload_duration) << ", processing "
        << format_duration(r.processing_duration) << "), " << r.api_requests << " API requests.\n";
}

asio::awaitable<void> publish_command(context& ctx) {
    const auto& a = ctx.args();
    workflow::publish_request req;
    req.app_id = a.app;
    req.asset_pack_identifier = a.identifier;
    req.asset = a.archive;
    if (a.manifest)
        req.manifest = std::filesystem::path(*a.manifest);

    workflow::publish_options options;
    options.upload.limiter = make_limiter(ctx.inv.global);
    options.upload.progress = make_progress_tracker(ctx.progress);
    if (a.journal)
        options.journal = std::filesystem::path(*a.journal);
    options.wait_for_processing = a.wait;
    if (a.until) {
        workflow::release_target target;
        target.channel = *a.until;
        options.release = target;
    }
    options.watch.poll = cli_poll_policy();
    options.watch.on_state = state_display(ctx.progress, a.identifier);
    options.force = a.force;
    auto receiver = listen_for_webhooks(ctx, options);

    ctx.note("Publishing " + req.asset.string() + " as " + a.identifier + " of app " + a.app);
    auto result = co_await workflow::publish(ctx.client, std::move(req), std::move(options));
    ctx.progress.finish();
    ctx.note(a.identifier + ": " + result.comparison);
    if (result.unchanged)
        ctx.notice(a.identifier + " is unchanged: version " + result.version.id +
                   " already has these files; nothing was sent");

    if (ctx.out.format() == output_format::json)
        ctx.out.print_json(publish_json(result));
    else
        print_publish_table(ctx.out.stream(), result);
    if (result.processing_failed)
        throw already_reported("version " + result.version.id + " of " + a.identifier +
                               " failed processing" + details_text(result.state_details));
}

// The batch document of `--output json` (docs/cli.md "JSON output").
json::object batch_json(const workflow::batch_summary& s) {
    json::array items;
    for (const auto& item : s.items) {
        json::object o{{"app", item.entry.app_id},
                       {"identifier", item.entry.asset_pack_identifier},
                       {"asset", item.entry.asset.string()},
                       {"succeeded", item.succeeded},
                       {"error", string_or_null(item.error)},
                       {"result", item.result ? json::value(publish_json(*item.result))
                                              : json::value(nullptr)}};
        items.push_back(std::move(o));
    }
    json::object plan{{"expectedRequests", s.plan.expected_requests},
                      {"extraWindows", s.plan.extra_windows}};
    if (s.plan.limit)
        plan["limit"] = *s.plan.limit;
    if (s.plan.available)
        plan["available"] = *s.plan.available;
    return json::object{{"items", std::move(items)},
                        {"plan", std::move(plan)},
                        {"rateLimited", s.rate_limited},
                        {"succeeded", s.succeeded},
                        {"published", s.published()},
                        {"unchanged", s.unchanged},
                        {"failed", s.failed},
                        {"bytesSent", s.bytes_sent},
                        {"bytesResumed", s.bytes_resumed},
                        {"apiRequests", s.api_requests},
                        {"lookupApiRequests", s.lookup_api_requests},
                        {"seconds", static_cast<double>(s.duration.count()) / 1000.0}};
}

std::string batch_summary_line(const workflow::batch_summary& s) {
    return std::to_string(s.published()) + " published, " + std::to_string(s.unchanged) +
           " unchanged, " + std::to_string(s.failed) + " failed, " + format_bytes(s.bytes_sent) +
           " sent in " + format_duration(s.duration) + ", " + std::to_string(s.api_requests) +
           " API requests.";
}

void print_batch_table(std::ostream& out, const workflow::batch_summary& s) {
    table t({"APP", "IDENTIFIER", "RESULT", "VERSION", "STATE"});
    for (const auto& item : s.items) {
        std::string version = "-", state = "-";
        if (item.result) {
            const auto& v = item.result->version;
            version = v.id;
            state = item.result->version_state;
            if (state.empty() && v.attributes && v.attributes->state)
                state = v.attributes->state->str();
            if (state.empty())
                state = "-";
        }
        std::string result = !item.succeeded                         ? "FAILED: " + item.error
                             : item.result && item.result->unchanged ? "unchanged"
                                                                     : "published";
        t.add_row({item.entry.app_id, item.entry.asset_pack_identifier, result, version, state});
    }
    t.print(out);
    out << batch_summary_line(s) << '\n';
}

asio::awaitable<void> batch_command(context& ctx) {
    const auto& a = ctx.args();
    std::vector<workflow::batch_entry> entries;
    try {
        entries = workflow::load_batch_file(a.file);
    } catch (const workflow::batch_file_error& e) {
        throw usage_error(e.what());
    }
    workflow::batch_options options;
    options.publish.upload.limiter = make_limiter(ctx.inv.global);
    options.publish.upload.progress = make_progress_tracker(ctx.progress);
    options.publish.wait_for_processing = a.wait;
    options.publish.watch.poll = cli_poll_policy();
    auto receiver = listen_for_webhooks(ctx, options.publish);
    options.publish.watch.on_state = [&progress = ctx.progress](std::string_view state) {
        progress.state("waiting: " + std::string(state));
    };
    if (a.journal)
        options.journal_directory = std::filesystem::path(*a.journal);
    options.publish.force = a.force;

    ctx.note("Publishing " + std::to_string(entries.size()) + " asset packs from " + a.file);
    options.on_plan = [&ctx](const workflow::batch_plan& p) {
        if (!p.limit || !p.available)
            return;
        std::string line =
            "Rate limit: " + std::to_string(std::max<std::int64_t>(*p.available, 0)) + " of " +
            std::to_string(*p.limit) + " requests left; this batch needs about " +
            std::to_string(p.expected_requests);
        if (p.extra_windows == 0) {
            line += ", within the budget.";
        } else {
            auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                p.earliest_finish - std::chrono::system_clock::now());
            line += ": paced to the budget, done in no less than " +
                    format_duration(std::max(wait, std::chrono::milliseconds(0))) + ".";
        }
        ctx.notice(line);
    };
    auto summary =
        co_await workflow::publish_batch(ctx.client, std::move(entries), std::move(options));
    ctx.progress.finish();
    for (const auto& item : summary.items)
        if (item.result)
            ctx.note(item.entry.asset_pack_identifier + ": " + item.result->comparison);
    if (ctx.out.format() == output_format::json)
        ctx.out.print_json(batch_json(summary));
    else
        print_batch_table(ctx.out.stream(), summary);
    if (summary.failed)
        throw already_reported(std::to_string(summary.failed) + " of " +
                               std::to_string(summary.items.size()) +
                               " asset packs failed to publish");
}

} // namespace

asio::awaitable<void> run_transfer_command(context& ctx) {
    switch (ctx.inv.cmd) {
    case command::upload:
        co_await upload_command(ctx);
        break;
    case command::publish:
        co_await publish_command(ctx);
        break;
    case command::batch:
        co_await batch_command(ctx);
        break;
    default:
        throw std::logic_error("not a transfer command");
    }
}

} // namespace ascpp::cli
