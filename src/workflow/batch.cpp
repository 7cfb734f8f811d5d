// publish_batch: many publishes at once, bounded, with one summary (the file format is in
// batch_file.cpp).
#include <ascpp/upload/detail/task_group.hpp>
#include <ascpp/workflow/batch.hpp>

#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <atomic>
#include <system_error>

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

} // namespace

asio::awaitable<batch_summary> publish_batch(api::client& client, std::vector<batch_entry> entries,
                                             batch_options options) {
    const auto started = std::chrono::steady_clock::now();
    const auto requests_before = client.stats().requests_sent;
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

    // Workers take the next entry until none is left: at most `workers` publishes at once.
    const std::size_t workers =
        std::min(std::max<std::size_t>(options.max_concurrent_publishes, 1), entries.size());
    auto strand = asio::make_strand(client.executor());
    upload::detail::task_group group(strand);
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
        else
            ++summary.failed;
        if (item.result) {
            summary.bytes_sent += item.result->bytes_sent;
            summary.bytes_resumed += item.result->bytes_resumed;
            summary.publish_api_requests += item.result->api_requests;
        }
    }
    summary.api_requests = client.stats().requests_sent - requests_before;
    summary.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    co_return summary;
}

} // namespace ascpp::workflow
