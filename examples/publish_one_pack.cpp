// Publishes one asset pack and waits until App Store Connect has processed it.
//   publish_one_pack APP_ID IDENTIFIER ARCHIVE [MANIFEST]
// (API settings: see example_env.hpp.)
#include "example_env.hpp"

#include <ascpp/workflow/publish.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>

namespace asio = boost::asio;
namespace api = ascpp::api;
namespace upload = ascpp::upload;
namespace wf = ascpp::workflow;

asio::awaitable<int> publish_pack(api::client& client, wf::publish_request request) {
    wf::publish_options options;
    // Called for every chunk written to a socket: print only when a part is acknowledged.
    options.upload.progress = std::make_shared<upload::progress_tracker>(
        [printed = std::uint64_t(0)](const upload::progress& p) mutable {
            if (p.total_bytes_done == printed)
                return;
            printed = p.total_bytes_done;
            std::cout << p.file.name << ": " << p.file.bytes_done << " of " << p.file.bytes_total
                      << " bytes\n";
        });
    options.watch.on_state = [](std::string_view state) {
        std::cout << "version " << state << '\n';
    };
    // Processing usually takes minutes; a stuck version should not hold the program forever.
    options.watch.timeout = std::chrono::hours(1);
    try {
        auto result = co_await wf::publish(client, std::move(request), std::move(options));
        std::cout << "version " << result.version.id << " of pack " << result.asset_pack.id << ": "
                  << result.version_state << '\n';
        if (result.succeeded())
            co_return 0;
        std::cerr << "processing failed\n";
        if (result.state_details && result.state_details->errors)
            for (const auto& error : *result.state_details->errors)
                std::cerr << "  " << error.code.value_or("") << ": "
                          << error.description.value_or("") << '\n';
    } catch (const api::api_error& e) {
        // The request id is what Apple's support asks for.
        std::cerr << "App Store Connect refused " << e.operation() << ": HTTP " << e.status() << " "
                  << e.code() << " (request id " << e.request_id() << "): " << e.what() << '\n';
    } catch (const std::exception& e) {
        std::cerr << "publish failed: " << e.what() << '\n';
    }
    co_return 1;
}

int main(int argc, char** argv) {
    if (argc < 4 || argc > 5) {
        std::cerr << "usage: publish_one_pack APP_ID IDENTIFIER ARCHIVE [MANIFEST]\n";
        return 2;
    }
    try {
        asio::io_context io;
        api::client client(io.get_executor(), example::client_config_from_environment());
        wf::publish_request request;
        request.app_id = argv[1];
        request.asset_pack_identifier = argv[2];
        request.asset = argv[3];
        if (argc == 5)
            request.manifest = argv[4];
        auto exit_code =
            asio::co_spawn(io, publish_pack(client, std::move(request)), asio::use_future);
        io.run();
        return exit_code.get();
    } catch (const std::exception& e) {
        std::cerr << "publish_one_pack: " << e.what() << '\n';
        return 1;
    }
}
