#include "webhooks.hpp"

#include "exit_code.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

namespace ascpp::cli {

workflow::webhook_receiver_options webhook_receiver_options_of(const command_args& a) {
    workflow::webhook_receiver_options o;
    const std::string& where = a.webhook_listen.value();
    const auto colon = where.rfind(':');
    std::string host = where.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    const std::string port_text = where.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
        throw usage_error("--webhook-listen: '" + port_text + "' is not a port number");
    o.address = host;
    o.port = static_cast<std::uint16_t>(port);

    std::ifstream in(a.webhook_secret_file.value(), std::ios::binary);
    if (!in)
        throw usage_error("--webhook-secret-file: cannot read " + *a.webhook_secret_file);
    std::ostringstream text;
    text << in.rdbuf();
    std::string secret = text.str();
    // A file written by `echo` ends with a newline that is no part of the secret.
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
        secret.pop_back();
    if (secret.empty())
        throw usage_error("--webhook-secret-file: " + *a.webhook_secret_file + " is empty");
    o.secret = std::move(secret);
    if (a.webhook_cert)
        o.tls = workflow::webhook_tls_files{*a.webhook_cert, *a.webhook_key};
    o.signature_header = a.webhook_signature_header;
    o.signature_prefix = a.webhook_signature_prefix;
    return o;
}

workflow::poll_policy webhook_fallback_policy(const command_args& a) {
    workflow::poll_policy p;
    p.initial = a.webhook_fallback_poll;
    p.max = a.webhook_fallback_poll;
    p.multiplier = 1.0;
    p.jitter = 0.1;
    return p;
}

namespace {

std::string event_line(const workflow::webhook_event& e) {
    boost::json::object o{{"id", e.id},
                          {"eventType", e.event_type},
                          {"resourceType", e.resource_type},
                          {"resourceId", e.resource_id},
                          {"oldValue", e.old_state},
                          {"newValue", e.new_state},
                          {"timestamp", e.timestamp}};
    return boost::json::serialize(o);
}

} // namespace

int run_webhook_listen(const invocation& inv) {
    std::signal(SIGPIPE, SIG_IGN);
    workflow::webhook_receiver_options o;
    try {
        o = webhook_receiver_options_of(inv.args);
    } catch (const usage_error& e) {
        std::cerr << "ascpp: " << e.what() << '\n';
        return static_cast<int>(exit_code::usage);
    }
    o.on_event = [](const workflow::webhook_event& e) {
        std::cout << event_line(e) << '\n';
        std::cout.flush();
    };
    asio::io_context ioc(1);
    std::unique_ptr<workflow::webhook_receiver> receiver;
    try {
        receiver = std::make_unique<workflow::webhook_receiver>(ioc.get_executor(), o);
    } catch (const std::exception& e) {
        std::cerr << "ascpp: cannot listen on " << *inv.args.webhook_listen << ": " << e.what()
                  << '\n';
        return static_cast<int>(exit_code::failed);
    }
    if (!inv.global.quiet)
        std::cerr << "ascpp: listening for webhook deliveries on " << o.address << ":"
                  << receiver->port() << (o.tls ? " (TLS)" : " (plain HTTP)") << '\n';
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    asio::steady_timer deadline(ioc);
    auto stop = [&] {
        receiver->stop();
        signals.cancel();
        deadline.cancel();
        ioc.stop();
    };
    signals.async_wait([&](boost::system::error_code ec, int) {
        if (!ec)
            stop();
    });
    if (inv.args.timeout) {
        deadline.expires_after(*inv.args.timeout);
        deadline.async_wait([&](boost::system::error_code ec) {
            if (!ec)
                stop();
        });
    }
    ioc.run();
    if (inv.global.verbose) {
        auto s = receiver->stats();
        std::cerr << "ascpp: " << s.accepted << " events, " << s.duplicates << " duplicates, "
                  << s.bad_signatures + s.missing_signatures << " refused signatures\n";
    }
    return static_cast<int>(exit_code::ok);
}

} // namespace ascpp::cli
