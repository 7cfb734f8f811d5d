// One operation, listing an app's asset packs, completed in each style that every async_xxx
// function of ascpp accepts: a callback, a future and a coroutine (use_awaitable).
//   completion_styles APP_ID
#include "example_env.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <iostream>
#include <thread>

namespace asio = boost::asio;
namespace api = ascpp::api;
using packs_page = api::page<api::background_asset>;

std::atomic<int> failures{0};

void report(const char* style, std::exception_ptr error, const packs_page& page) {
    if (error) {
        ++failures;
        std::cerr << style << ": " << example::message(error) << '\n';
    } else {
        std::cout << style << ": " << page.data.size() << " asset packs\n";
    }
}

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: completion_styles APP_ID\n";
        return 2;
    }
    try {
        asio::io_context io;
        api::client client(io.get_executor(), example::client_config_from_environment());
        const std::string app_id = argv[1];
        // Named rather than `{}`: GCC 12 destroys a braced temporary in a co_await twice.
        const api::background_assets_query query;

        // A callback runs on the thread that runs the io_context.
        client.async_list_background_assets(
            app_id, query,
            [](std::exception_ptr error, packs_page page) { report("callback", error, page); });

        // A coroutine awaits it; use_awaitable is also the default token.
        auto list_in_coroutine = [&]() -> asio::awaitable<void> {
            auto page =
                co_await client.async_list_background_assets(app_id, query, asio::use_awaitable);
            report("use_awaitable", nullptr, page);
        };
        asio::co_spawn(io, list_in_coroutine(), [](std::exception_ptr error) {
            if (error)
                report("use_awaitable", error, {});
        });

        // A future blocks the thread that waits for it, so the io_context runs on another.
        auto future = client.async_list_background_assets(app_id, query, asio::use_future);
        std::thread io_thread([&io] { io.run(); });
        std::exception_ptr error;
        packs_page page;
        try {
            page = future.get();
        } catch (...) {
            error = std::current_exception();
        }
        io_thread.join();
        report("use_future", error, page);
        return failures == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "completion_styles: " << e.what() << '\n';
        return 1;
    }
}
