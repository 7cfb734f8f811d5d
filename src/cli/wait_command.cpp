// wait version|file|release: poll a resource until its state is one of the targets.
#include "context.hpp"

#include "exit_code.hpp"
#include "states.hpp"
#include "webhooks.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/value_from.hpp>

#include <algorithm>
#include <random>

namespace ascpp::cli {

namespace json = boost::json;

namespace {

// Quick at first (processing often takes seconds), then backing off to spare the hourly request
// budget; jitter keeps many waiting processes from polling in step.
constexpr auto first_interval = std::chrono::milliseconds(250);
constexpr auto max_interval = std::chrono::milliseconds(15'000);

struct observed {
    json::value resource;
    std::string state;   // empty when the resource has none yet
    std::string details; // e.g. the version's stateDetails errors, for failures
};

std::string details_of(const std::optional<std::vector<api::state_detail>>& items) {
    std::string out;
    if (!items)
        return out;
    for (const auto& d : *items)
        out += "\n  " + d.code.value_or("-") + (d.description ? ": " + *d.description : "");
    return out;
}

// Plain functions: GCC 12 mishandles braced initialisers and `?:` of class type in coroutines.
std::string state_line(const std::string& what, const std::string& state) {
    return what + ": " + (state.empty() ? std::string("-") : state);
}

observed observe(const api::background_asset_version& v) {
    observed o;
    o.resource = json::value_from(v);
    if (const auto& attrs = v.attributes) {
        if (attrs->state)
            o.state = attrs->state->str();
        if (attrs->state_details)
            o.details = details_of(attrs->state_details->errors);
    }
    return o;
}

observed observe(const api::background_asset_upload_file& f) {
    observed o;
    o.resource = json::value_from(f);
    if (f.attributes && f.attributes->asset_delivery_state) {
        const auto& s = *f.attributes->asset_delivery_state;
        if (s.state)
            o.state = s.state->str();
        o.details = details_of(s.errors);
    }
    return o;
}

template <class Release>
observed observe_release(const Release& r) {
    observed o;
    o.resource = json::value_from(r);
    if (r.attributes && r.attributes->state)
        o.state = r.attributes->state->str();
    return o;
}

// With --webhook-listen: a delivery about the awaited resource cuts the current wait short.
struct wake_signal {
    asio::steady_timer* timer = nullptr;
    bool pending = false;
    void fire() {
        pending = true;
        if (timer)
            timer->cancel();
    }
};

template <class Fetch>
asio::awaitable<observed> poll(context& ctx, std::string what, Fetch fetch,
                               const std::vector<std::string>& targets,
                               const std::vector<std::string>& failures, wake_signal& wake) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    wake.timer = &timer;
    struct unhook {
        wake_signal& w;
        ~unhook() { w.timer = nullptr; }
    } unhook_on_exit{wake};
    std::mt19937 rng(std::random_device{}());
    const bool pushed = ctx.args().webhook_listen.has_value();
    auto interval = pushed ? ctx.args().webhook_fallback_poll : first_interval;
    for (;;) {
        wake.pending = false;
        observed o = co_await fetch();
        ctx.progress.state(state_line(what, o.state));
        if (std::find(targets.begin(), targets.end(), o.state) != targets.end())
            co_return o;
        if (std::find(failures.begin(), failures.end(), o.state) != failures.end())
            throw operation_failed(what + " is " + o.state + o.details);
        std::uniform_real_distribution<double> jitter(0.8, 1.2);
        timer.expires_after(
            std::chrono::duration_cast<std::chrono::milliseconds>(interval * jitter(rng)));
        if (wake.pending)
            continue; // a delivery came while the poll ran
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted && wake.pending)
            continue; // woken by a delivery: look now
        if (ec)
            throw boost::system::system_error(ec);
        if (!pushed)
            interval = std::min(max_interval, interval * 3 / 2);
    }
}

// Failure states that end a wait unless the user waits for them: terminal ones that can never
// lead to a target.
std::vector<std::string> failure_states(std::vector<std::string> candidates,
                                        const std::vector<std::string>& targets) {
    std::erase_if(candidates, [&](const std::string& s) {
        return std::find(targets.begin(), targets.end(), s) != targets.end();
    });
    return candidates;
}

template <class Release, class Get>
asio::awaitable<observed> fetch_release(Get get) {
    auto doc = co_await get();
    co_return observe_release(doc.data);
}

// What a wait ends on by default, and the states that make it fail (computed outside the
// coroutine: GCC 12 miscompiles braced lists of string literals inside coroutines).
struct wait_plan {
    std::vector<std::string> targets;
    std::vector<std::string> failures;
};

wait_plan plan_for(const command_args& a, command cmd) {
    wait_plan p;
    p.targets = a.states;
    std::vector<std::string> terminal;
    if (cmd == command::wait_release) {
        if (p.targets.empty())
            p.targets.emplace_back(release_ready_state(a.channel));
        terminal = {"REJECTED", "SUPERSEDED"};
    } else {
        if (p.targets.empty())
            p.targets.emplace_back("COMPLETE");
        terminal = {"FAILED"};
    }
    p.failures = failure_states(std::move(terminal), p.targets);
    return p;
}

} // namespace

asio::awaitable<void> run_wait_command(context& ctx) {
    const auto& a = ctx.args();
    auto& c = ctx.client;
    const wait_plan plan = plan_for(a, ctx.inv.cmd);
    const auto& targets = plan.targets;
    const auto& failures = plan.failures;
    observed result;
    wake_signal wake;
    std::unique_ptr<workflow::webhook_receiver> receiver;
    if (a.webhook_listen) {
        auto o = webhook_receiver_options_of(a);
        o.on_event = [&wake, id = a.id](const workflow::webhook_event& e) {
            if (e.resource_id == id)
                wake.fire();
        };
        receiver = std::make_unique<workflow::webhook_receiver>(ctx.client.executor(), o);
        ctx.note("Listening for webhook deliveries on port " + std::to_string(receiver->port()));
    }

    switch (ctx.inv.cmd) {
    case command::wait_version: {
        auto fetch = [&]() -> asio::awaitable<observed> {
            auto doc = co_await c.get_background_asset_version(a.id);
            co_return observe(doc.data);
        };
        result = co_await poll(ctx, "version " + a.id, fetch, targets, failures, wake);
        break;
    }
    case command::wait_file: {
        auto fetch = [&]() -> asio::awaitable<observed> {
            auto doc = co_await c.get_background_asset_upload_file(a.id);
            co_return observe(doc.data);
        };
        result = co_await poll(ctx, "upload file " + a.id, fetch, targets, failures, wake);
        break;
    }
    case command::wait_release: {
        auto what = std::string(channel_name(a.channel)) + " release " + a.id;
        switch (a.channel) {
        case release_channel::internal_beta:
            result = co_await poll(
                ctx, what,
                [&] {
                    return fetch_release<api::internal_beta_release>(
                        [&] { return c.get_internal_beta_release(a.id); });
                },
                targets, failures, wake);
            break;
        case release_channel::external_beta:
            result = co_await poll(
                ctx, what,
                [&] {
                    return fetch_release<api::external_beta_release>(
                        [&] { return c.get_external_beta_release(a.id); });
                },
                targets, failures, wake);
            break;
        case release_channel::app_store:
            result = co_await poll(
                ctx, what,
                [&] {
                    return fetch_release<api::app_store_release>(
                        [&] { return c.get_app_store_release(a.id); });
                },
                targets, failures, wake);
            break;
        }
        break;
    }
    default:
        throw std::logic_error("not a wait command");
    }
    ctx.progress.finish();
    ctx.out.single(result.resource);
}

} // namespace ascpp::cli
