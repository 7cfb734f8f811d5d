// publish_batch: many publishes at once, bounded, with one summary (the file format is in
// batch_file.cpp).
#include "pack_lookup.hpp"

#include <ascpp/detail/task_group.hpp>
#include <ascpp/http/error.hpp>
#include <ascpp/workflow/batch.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <system_error>
#include <utility>

namespace ascpp::workflow {

namespace fs = std::filesystem;

namespace {

std::string file_name_part(std::string_view s) {
    std::string out;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        out.push_back(ok ? c : '_');
    }
    return out;
}

std::string describe_failure(const publish_result& r) {
    std::string out = "version " + r.version.id + " processing FAILED";
    if (r.state_details && r.state_details->errors)
        for (const auto& d : *r.state_details->errors) {
            out += "; ";
            out += d.code.value_or("?");
            if (d.description)
                out += ": " + *d.description;
        }
    return out;
}

using pack_key = std::pair<std::string, std::string>; // app id, asset pack identifier

// Reads the batch's packs with one listing per app and per `chunk` identifiers. A listing that
// fails is left out: the publishes of its packs then look them up themselves (and report the
// error, an unknown app for example). `complete_apps`: the apps whose every listing was read to
// its end, so that a pack not found there does not exist.
asio::awaitable<void> look_up_packs(api::client& client, const std::vector<batch_entry>& entries,
                                    std::size_t chunk,
                                    std::map<pack_key, api::background_asset>& found,
                                    std::set<std::string>& complete_apps, std::uint64_t& requests) {
    std::map<std::string, std::vector<std::string>> by_app;
    for (const auto& e : entries) {
        auto& ids = by_app[e.app_id];
        if (std::find(ids.begin(), ids.end(), e.asset_pack_identifier) == ids.end())
            ids.push_back(e.asset_pack_identifier);
    }
    for (auto& [app, ids] : by_app) {
        bool complete = true;
        for (std::size_t first = 0; first < ids.size(); first += chunk) {
            const auto last = std::min(ids.size(), first + chunk);
            std::vector<std::string> some(ids.begin() + static_cast<std::ptrdiff_t>(first),
                                          ids.begin() + static_cast<std::ptrdiff_t>(last));
            std::function<void()> counter = [&requests] { ++requests; };
            bool listed = false;
            try {
                auto packs =
                    co_await detail::list_packs(client, app, std::move(some), std::move(counter));
                for (auto& pack : packs)
                    if (pack.attributes && pack.attributes->asset_pack_identifier)
                        found.emplace(pack_key(app, *pack.attributes->asset_pack_identifier),
                                      std::move(pack));
                listed = true;
            } catch (const api::api_error&) {
            } catch (const http::transport_error& e) {
                // A failed lookup leaves the packs to be looked up one by one; a cancelled one
                // ends the batch.
                if (e.code() == boost::asio::error::operation_aborted)
                    throw;
            }
            complete = complete && listed;
        }
        if (complete)
            complete_apps.insert(app);
    }
}

batch_plan make_plan(const api::client& client, const std::vector<batch_entry>& entries,
                     const std::map<pack_key, api::background_asset>& packs,
                     const batch_options& options) {
    batch_plan plan;
    plan.packs = entries.size();
    double expected = 0;
    for (const auto& e : entries) {
        // A new pack's create takes the place of an existing one's comparison read; either
        // way: that, create version, reserve, commit.
        expected += 4;
        if (e.manifest)
            expected += 2;
        if (packs.count(pack_key(e.app_id, e.asset_pack_identifier)) == 0 &&
            options.identifiers_per_lookup == 0)
            expected += 1; // its own lookup
        if (options.publish.wait_for_processing || options.publish.release)
            expected += 1.5;
    }
    plan.expected_requests = static_cast<std::uint64_t>(expected + 0.5);
    const auto status = client.rate_limit();
    plan.window = status.window;
    const auto now = std::chrono::system_clock::now();
    plan.earliest_finish = now;
    if (status.last && status.last->hour_limit && *status.last->hour_limit > 0) {
        plan.limit = *status.last->hour_limit;
        plan.available = status.available();
        const auto need = static_cast<std::int64_t>(plan.expected_requests) -
                          std::max<std::int64_t>(*plan.available, 0);
        if (need > 0) {
            plan.extra_windows = static_cast<std::uint64_t>((need + *plan.limit - 1) / *plan.limit);
            plan.earliest_finish =
                now + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                          plan.window * static_cast<std::int64_t>(plan.extra_windows));
        }
    }
    return plan;
}

} // namespace

asio::awaitable<batch_summary> publish_batch(api::client& client, std::vector<batch_entry> entries,
                                             batch_options options) {
    const auto started = std::chrono::steady_clock::now();
    const auto requests_before = client.stats().requests_sent;
    const auto rate_limited_before = client.stats().rate_limited;
    batch_summary summary;
    summary.items.resize(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i)
        summary.items[i].entry = entries[i];

    auto shared = options.publish;
    if (!shared.watcher)
        shared.watcher = std::make_shared<state_watcher>(client);
    if (options.journal_directory) {
        std::error_code ec;
        fs::create_directories(*options.journal_directory, ec);
        if (ec)
            throw std::system_error(ec, "journal directory " + options.journal_directory->string());
    }

    std::map<pack_key, api::background_asset> packs;
    std::set<std::string> looked_up; // apps whose every lookup succeeded
    if (options.identifiers_per_lookup > 0 && !entries.empty())
        co_await look_up_packs(client, entries, options.identifiers_per_lookup, packs, looked_up,
                               summary.lookup_api_requests);

    summary.plan = make_plan(client, entries, packs, options);
    if (options.on_plan)
        options.on_plan(summary.plan);

    // Workers take the next entry until none is left: at most `workers` publishes at once.
    const std::size_t workers =
        std::min(std::max<std::size_t>(options.max_concurrent_publishes, 1), entries.size());
    auto strand = asio::make_strand(client.executor());
    ascpp::detail::task_group group(strand);
    std::atomic<std::size_t> next{0};

    auto worker = [&]() -> asio::awaitable<void> {
        for (;;) {
            const std::size_t i = next++;
            if (i >= entries.size())
                co_return;
            auto& item = summary.items[i];
            publish_request req;
            req.app_id = entries[i].app_id;
            req.asset_pack_identifier = entries[i].asset_pack_identifier;
            req.asset = entries[i].asset;
            req.manifest = entries[i].manifest;
            if (auto it = packs.find(pack_key(req.app_id, req.asset_pack_identifier));
                it != packs.end())
                req.asset_pack = it->second;
            else
                req.asset_pack_absent = looked_up.count(req.app_id) > 0;
            auto po = shared;
            if (options.journal_directory)
                po.journal = *options.journal_directory /
                             (file_name_part(req.app_id) + "-" +
                              file_name_part(req.asset_pack_identifier) + ".journal");
            std::string error;
            try {
                item.result = co_await publish(client, std::move(req), std::move(po));
                item.succeeded = item.result->succeeded();
                if (!item.succeeded)
                    error = describe_failure(*item.result);
            } catch (const std::exception& e) {
                error = e.what();
            }
            // A publish stopped because the batch is cancelled is not a failed entry: stop too.
            // Ending without an error keeps the group from signalling the other workers a
            // second time (join() already did, and throws operation_aborted itself).
            auto cs = co_await asio::this_coro::cancellation_state;
            if (cs.cancelled() != asio::cancellation_type::none)
                co_return;
            item.error = std::move(error);
        }
    };
    for (std::size_t w = 0; w < workers; ++w)
        group.spawn(worker());
    co_await group.join();

    for (auto& item : summary.items) {
        if (item.succeeded)
            ++summary.succeeded;
        if (item.succeeded && item.result->unchanged)
            ++summary.unchanged;
        if (!item.succeeded)
            ++summary.failed;
        if (item.result) {
            summary.bytes_sent += item.result->bytes_sent;
            summary.bytes_resumed += item.result->bytes_resumed;
            summary.publish_api_requests += item.result->api_requests;
        }
    }
    summary.api_requests = client.stats().requests_sent - requests_before;
    summary.rate_limited = client.stats().rate_limited - rate_limited_before;
    summary.rate_limit = client.rate_limit();
    summary.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    co_return summary;
}

} // namespace ascpp::workflow
