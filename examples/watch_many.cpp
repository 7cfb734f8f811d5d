// Watches many versions at once on one thread: uploads 5 versions of each of 4 packs without
// waiting for their processing, and waits for all 20 with one state_watcher, which reads the
// versions of a pack with one listing per interval however many of them are watched.
//   watch_many APP_ID ARCHIVE
#include "example_env.hpp"

#include <ascpp/workflow/publish.hpp>
#include <ascpp/workflow/state_watcher.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

namespace asio = boost::asio;
namespace api = ascpp::api;
namespace wf = ascpp::workflow;

constexpr int packs = 4, versions_per_pack = 5;

// Each watch starts as soon as its version is uploaded, alongside the uploads still to come.
asio::awaitable<void> upload_and_watch(api::client& client, wf::state_watcher& watcher,
                                       std::string app_id, std::filesystem::path archive,
                                       int& complete) {
    for (int v = 0; v < versions_per_pack; ++v)
        for (int p = 0; p < packs; ++p) {
            const std::string pack = "Watched" + std::to_string(p);
            wf::publish_request request{app_id, pack, archive, std::nullopt};
            wf::publish_options options;
            options.wait_for_processing = false;
            auto uploaded = co_await wf::publish(client, std::move(request), std::move(options));

            wf::watch_options watch;
            watch.background_asset_id = uploaded.asset_pack.id; // spares a read of the version
            watch.timeout = std::chrono::hours(1);
            std::vector<api::background_asset_version_state> targets{
                api::background_asset_version_state::complete};
            auto on_done = [&complete, pack](std::exception_ptr error,
                                             api::background_asset_version version) {
                if (error)
                    std::cerr << pack << ": " << example::message(error) << '\n';
                else
                    std::cout << pack << " version " << version.id << ": COMPLETE (" << ++complete
                              << ")\n";
            };
            watcher.async_wait_for_version(uploaded.version.id, std::move(targets),
                                           std::move(watch), on_done);
        }
}

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: watch_many APP_ID ARCHIVE\n";
        return 2;
    }
    try {
        asio::io_context io;
        api::client client(io.get_executor(), example::client_config_from_environment());
        wf::state_watcher watcher(client);
        int complete = 0;
        // An upload failure stops the uploads, not the watches already started: they finish.
        auto on_uploads_done = [](std::exception_ptr error) {
            if (error)
                std::cerr << "upload failed: " << example::message(error) << '\n';
        };
        asio::co_spawn(io, upload_and_watch(client, watcher, argv[1], argv[2], complete),
                       on_uploads_done);
        io.run();
        auto stats = watcher.stats();
        std::cout << complete << " of " << packs * versions_per_pack << " versions COMPLETE; "
                  << stats.polls << " polls took " << stats.requests << " requests\n";
        return complete == packs * versions_per_pack ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "watch_many: " << e.what() << '\n';
        return 1;
    }
}
