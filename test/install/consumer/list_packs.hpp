// What the Asio consumers do with ascpp: start the simulator in-process, list an app's packs
// through the installed client with a callback, and return when io.run() returns by itself.
#pragma once

#include <ascpp/api/client.hpp>
#include <ascpp/sim/simulator.hpp>

#include <boost/asio/io_context.hpp>

#include <exception>
#include <iostream>
#include <optional>

// `before_run` lets a consumer add its own (e.g. deprecated) Asio usage to the same io_context.
template <class BeforeRun>
int list_packs_against_simulator(const char* name, BeforeRun before_run) {
    ascpp::sim::simulator sim;
    const auto key = sim.create_api_key();

    boost::asio::io_context io;
    ascpp::api::client_config config;
    config.base_url = sim.api_url();
    config.ca_file = sim.ca_file();
    config.key_id = key.key_id;
    config.issuer_id = key.issuer_id;
    config.private_key = ascpp::auth::private_key::from_pem(key.private_key_pem);
    ascpp::api::client client(io.get_executor(), config);

    std::optional<std::size_t> packs;
    auto on_page = [&](std::exception_ptr e, ascpp::api::page<ascpp::api::background_asset> p) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                std::cerr << name << ": " << x.what() << "\n";
            }
            return;
        }
        packs = p.data.size();
    };
    ascpp::api::background_assets_query query;
    client.async_list_background_assets(sim.options().app_ids.front(), query, on_page);
    before_run(io);
    io.run(); // returns once the listing and the consumer's own work are done
    std::cout << name << ": " << (packs ? std::to_string(*packs) : "no") << " packs listed\n";
    return packs == std::size_t{0} ? 0 : 1;
}
