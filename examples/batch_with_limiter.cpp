// Publishes a batch of asset packs, one per archive (its identifier is the file name's stem),
// with the part uploads of all of them under one shared limiter. Ctrl-C stops it cleanly.
//   batch_with_limiter APP_ID ARCHIVE...
#include "example_env.hpp"

#include <ascpp/upload/limiter.hpp>
#include <ascpp/workflow/batch.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <iostream>

namespace asio = boost::asio;
namespace api = ascpp::api;
namespace upload = ascpp::upload;
namespace wf = ascpp::workflow;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: batch_with_limiter APP_ID ARCHIVE...\n";
        return 2;
    }
    std::vector<wf::batch_entry> entries;
    for (int i = 2; i < argc; ++i)
        entries.push_back({argv[1], std::filesystem::path(argv[i]).stem().string(), argv[i], {}});
    // The limiter, not the number of packs publishing at once, bounds the connections and the
    // bandwidth the batch takes; share it with anything else this process uploads.
    upload::limiter_options limits;
    limits.max_concurrent_parts = 4;
    auto limiter = std::make_shared<upload::limiter>(limits);
    wf::batch_options options;
    options.publish.upload.limiter = limiter;
    options.publish.watch.timeout = std::chrono::hours(1);
    options.max_concurrent_publishes = 4;
    try {
        asio::io_context io;
        api::client client(io.get_executor(), example::client_config_from_environment());
        asio::cancellation_signal cancel;
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&cancel](boost::system::error_code ec, int) {
            if (!ec)
                cancel.emit(asio::cancellation_type::terminal);
        });
        int exit_code = 1;
        auto on_done = [&](std::exception_ptr stopped, wf::batch_summary summary) {
            // The pending signal wait is the last work left: without it io.run() returns.
            signals.cancel();
            if (stopped) { // publish_batch throws only when cancelled
                std::cerr
                    << "batch stopped; run it again to go on with the same packs and versions\n";
                exit_code = 130;
                return;
            }
            for (const auto& item : summary.items)
                std::cout << item.entry.asset_pack_identifier << ": "
                          << (item.succeeded ? item.result->version_state : item.error) << '\n';
            std::cout << summary.succeeded << " published, " << summary.failed << " failed, "
                      << summary.bytes_sent << " bytes sent, at most "
                      << limiter->stats().peak_active << " parts at once\n";
            exit_code = summary.failed == 0 ? 0 : 1;
        };
        wf::async_publish_batch(client, std::move(entries), std::move(options),
                                asio::bind_cancellation_slot(cancel.slot(), on_done));
        io.run();
        return exit_code;
    } catch (const std::exception& e) {
        std::cerr << "batch_with_limiter: " << e.what() << '\n';
        return 1;
    }
}
