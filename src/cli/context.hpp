// What a running command has at hand: its arguments, the API client, stdout and stderr.
#pragma once

#include "command_line.hpp"
#include "config.hpp"
#include "output.hpp"
#include "progress.hpp"

#include <ascpp/api/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <iosfwd>
#include <string_view>

namespace ascpp::cli {

struct context {
    const invocation& inv;
    const config& cfg;
    api::client& client;
    printer& out;
    progress_reporter& progress;
    std::ostream& err;

    const command_args& args() const noexcept { return inv.args; }
    // Detail for --verbose (through the progress display so bars stay intact).
    void note(std::string_view line) const {
        if (inv.global.verbose)
            progress.message(line);
    }
    // What a person should know even without --verbose (not shown with --quiet).
    void notice(std::string_view line) const {
        if (!inv.global.quiet)
            progress.message(line);
    }
};

// assets, versions, files and releases: one request (or one listing) each.
boost::asio::awaitable<void> run_resource_command(context& ctx);
// upload, publish and batch.
boost::asio::awaitable<void> run_transfer_command(context& ctx);
// wait version|file|release.
boost::asio::awaitable<void> run_wait_command(context& ctx);

} // namespace ascpp::cli
