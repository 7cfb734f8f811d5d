#include "run.hpp"

#include "command_line.hpp"
#include "context.hpp"
#include "duration.hpp"
#include "exit_code.hpp"
#include "failure.hpp"
#include "webhooks.hpp"

#include <ascpp/api/client.hpp>
#include <ascpp/auth/error.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>

namespace ascpp::cli {

namespace {

// How long a timed-out command may take to unwind after its cancellation before it is abandoned.
constexpr auto cancel_grace = std::chrono::seconds(5);

asio::awaitable<void> dispatch(context& ctx) {
    ctx.note("ascpp: " + ctx.cfg.describe());
    switch (ctx.inv.cmd) {
    case command::upload:
    case command::publish:
    case command::batch:
        co_await run_transfer_command(ctx);
        break;
    case command::wait_version:
    case command::wait_file:
    case command::wait_release:
        co_await run_wait_command(ctx);
        break;
    default:
        co_await run_resource_command(ctx);
        break;
    }
}

// Redraws the progress display about twice a second while a command runs, so elapsed times
// and rates move even when nothing new arrives.
asio::awaitable<void> tick(asio::steady_timer& timer, progress_reporter& progress) {
    for (;;) {
        timer.expires_after(std::chrono::milliseconds(500));
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            co_return;
        progress.tick();
    }
}

// Destroys the client while the io_context still runs, so its connections close and its idle
// timer ends in order, bounded in time (the results are already printed).
void close_client(asio::io_context& ioc, std::optional<api::client>& client) {
    ioc.restart();
    client.reset();
    ioc.run_for(std::chrono::seconds(2));
}

} // namespace

int run(int argc, const char* const* argv) {
    auto parsed = parse_command_line(argc, argv, std::cout, std::cerr);
    if (auto* code = std::get_if<int>(&parsed))
        return *code;
    const auto& inv = std::get<invocation>(parsed);
    if (inv.cmd == command::webhook_listen)
        return run_webhook_listen(inv); // needs no API key

    // A closed stdout (e.g. `ascpp ... | head -1`) must not kill the process mid-upload.
    std::signal(SIGPIPE, SIG_IGN);

    printer out(std::cout, inv.global.output);
    progress_reporter progress(
        std::cerr, choose_progress_mode(inv.global.quiet, stderr_is_terminal()), terminal_width());

    config cfg;
    api::client_config client_cfg;
    try {
        cfg = resolve_config(inv.global.config, process_environment());
        client_cfg = client_config_from(cfg);
    } catch (...) {
        return report_failure(describe_failure(std::current_exception(), stop_reason::none, {}, {}),
                              out, std::cerr);
    }

    asio::io_context ioc(1);
    std::optional<api::client> client;
    try {
        client.emplace(ioc.get_executor(), std::move(client_cfg));
    } catch (const std::invalid_argument& e) {
        return report_failure(describe_failure(std::make_exception_ptr(usage_error(e.what())),
                                               stop_reason::none, {}, {}),
                              out, std::cerr);
    } catch (...) {
        return report_failure(describe_failure(std::current_exception(), stop_reason::none, {}, {}),
                              out, std::cerr);
    }

    context ctx{inv, cfg, *client, out, progress, std::cerr};

    asio::cancellation_signal cancel;
    stop_reason stopped = stop_reason::none;
    bool finished = false;
    std::exception_ptr failure_ptr;

    asio::steady_timer deadline(ioc);
    asio::steady_timer grace(ioc);
    asio::steady_timer ticker(ioc);
    asio::signal_set signals(ioc, SIGINT, SIGTERM);

    auto stop = [&](stop_reason why) {
        if (finished || stopped != stop_reason::none)
            return;
        stopped = why;
        cancel.emit(asio::cancellation_type::terminal);
        // Should something not honour the cancellation, give up waiting for it.
        grace.expires_after(cancel_grace);
        grace.async_wait([&](boost::system::error_code ec) {
            if (!ec && !finished)
                ioc.stop();
        });
    };

    std::function<void(boost::system::error_code, int)> on_signal =
        [&](boost::system::error_code ec, int) {
            if (ec)
                return;
            if (stopped == stop_reason::interrupted) {
                // A second Ctrl-C: the user does not want to wait for a clean stop.
                std::cerr << "\nascpp: interrupted again, quitting now\n";
                std::_Exit(static_cast<int>(exit_code::interrupted));
            }
            ctx.notice(
                "Interrupted: stopping cleanly" +
                std::string(inv.args.journal ? " (the journal keeps what was uploaded)" : "") +
                "; press Ctrl-C again to quit at once.");
            stop(stop_reason::interrupted);
            signals.async_wait(on_signal);
        };
    signals.async_wait(on_signal);

    if (inv.args.timeout) {
        deadline.expires_after(*inv.args.timeout);
        deadline.async_wait([&](boost::system::error_code ec) {
            if (!ec)
                stop(stop_reason::timed_out);
        });
    }
    if (progress.mode() == progress_mode::bars)
        asio::co_spawn(ioc, tick(ticker, progress), asio::detached);

    asio::co_spawn(ioc, dispatch(ctx),
                   asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
                       finished = true;
                       failure_ptr = e;
                       deadline.cancel();
                       grace.cancel();
                       ticker.cancel();
                       signals.cancel();
                       // Pooled keep-alive connections and their idle timer would hold the
                       // io_context for the idle timeout; they are closed below.
                       ioc.stop();
                   }));
    ioc.run();
    progress.finish();

    if (!finished || failure_ptr) {
        std::string timeout_text =
            inv.args.timeout ? format_duration(*inv.args.timeout) : std::string();
        int code = report_failure(
            describe_failure(failure_ptr ? failure_ptr
                                         : std::make_exception_ptr(std::runtime_error("stopped")),
                             stopped, progress.current_state(), timeout_text),
            out, std::cerr);
        if (!finished) {
            // The command did not unwind within the grace period; its coroutine frames may
            // still refer to the client, so skip the destructors rather than run them out of
            // order.
            std::cout.flush();
            std::cerr.flush();
            std::_Exit(code);
        }
        std::cout.flush();
        close_client(ioc, client);
        return code;
    }
    if (inv.global.verbose) {
        if (auto off = client->tokens().clock_offset(); off.count() != 0)
            std::cerr << "ascpp: this machine's clock is " << std::abs(off.count()) << " s "
                      << (off.count() > 0 ? "behind" : "ahead of")
                      << " the API's (its Date header); tokens were dated by the API's clock\n";
        auto s = client->stats();
        std::cerr << "ascpp: " << s.requests_sent << " API request"
                  << (s.requests_sent == 1 ? "" : "s") << " (" << s.retries << " retried, "
                  << s.rate_limited << " rate-limited)\n";
    }
    std::cout.flush();
    close_client(ioc, client);
    return static_cast<int>(exit_code::ok);
}

} // namespace ascpp::cli
