// Opening a connection: resolve, TCP connect to each address in turn, the proxy's tunnel, the TLS
// handshake. Timeouts are the tcp_stream's deadline; cancellation is the coroutine's slot,
// forwarded to whichever operation is pending.
#include "connect.hpp"
#include "proxy.hpp"
#include "read_response.hpp"
#include "tunnel.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>

namespace ascpp::http::detail {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

std::vector<tcp::endpoint> interleave_families(const std::vector<tcp::endpoint>& resolved) {
    if (resolved.empty())
        return {};
    const bool first_v6 = resolved.front().address().is_v6();
    std::vector<tcp::endpoint> first, second;
    for (const auto& e : resolved) {
        // The same address twice (a resolver answering for two socket types, say) is tried once.
        if (std::find(first.begin(), first.end(), e) != first.end() ||
            std::find(second.begin(), second.end(), e) != second.end())
            continue;
        (e.address().is_v6() == first_v6 ? first : second).push_back(e);
    }
    std::vector<tcp::endpoint> out;
    out.reserve(first.size() + second.size());
    for (std::size_t i = 0; i < std::max(first.size(), second.size()); ++i) {
        if (i < first.size())
            out.push_back(first[i]);
        if (i < second.size())
            out.push_back(second[i]);
    }
    return out;
}

namespace {

std::string milliseconds_text(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

std::string endpoint_text(const tcp::endpoint& e) {
    return e.address().is_v6() ? "[" + e.address().to_string() + "]:" + std::to_string(e.port())
                               : e.address().to_string() + ":" + std::to_string(e.port());
}

// Resolves a host name within `deadline`. The resolver cannot be cancelled mid-lookup, so the
// coroutine waits on a timer that the lookup's completion wakes; both live on the connection's
// strand.
struct endpoint_name {
    const std::string& host;
    std::uint16_t port;
    std::string name; // for messages: the origin, or "proxy host:port"
};

asio::awaitable<std::vector<tcp::endpoint>>
resolve(const endpoint_name& where, clock::time_point deadline, std::chrono::milliseconds limit) {
    error_code literal_ec;
    const auto literal = asio::ip::make_address(where.host, literal_ec);
    if (!literal_ec)
        co_return std::vector<tcp::endpoint>{tcp::endpoint(literal, where.port)};

    struct lookup {
        explicit lookup(const asio::any_io_executor& ex) : resolver(ex), wake(ex) {}
        tcp::resolver resolver;
        asio::steady_timer wake;
        bool done = false;
        error_code ec;
        std::vector<tcp::endpoint> endpoints;
    };
    auto ex = co_await asio::this_coro::executor;
    auto state = std::make_shared<lookup>(ex);
    state->wake.expires_at(deadline);
    state->resolver.async_resolve(
        where.host, std::to_string(where.port),
        [state](error_code ec, const tcp::resolver::results_type& results) {
            state->done = true;
            state->ec = ec;
            for (const auto& entry : results)
                state->endpoints.push_back(entry.endpoint());
            state->wake.expires_at(clock::time_point{});
        });
    error_code wait_ec;
    co_await state->wake.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
    if (!state->done) {
        state->resolver.cancel();
        if (is_cancelled(co_await asio::this_coro::cancellation_state))
            throw attempt_error(errc::cancelled,
                                "resolve " + where.name + ": cancelled by the caller", false);
        throw attempt_error(
            errc::timed_out,
            "resolve " + where.name + ": no answer within " + milliseconds_text(limit), false);
    }
    if (state->ec || state->endpoints.empty())
        throw attempt_error(errc::resolve_failed,
                            "resolve " + where.name + ": " +
                                (state->ec ? state->ec.message() : std::string("no address")),
                            false);
    co_return std::move(state->endpoints);
}

} // namespace

asio::awaitable<tcp::endpoint> connect_any(beast::tcp_stream& tcp,
                                           const std::vector<tcp::endpoint>& endpoints,
                                           const std::string& name, connect_budget budget) {
    std::string last_failure;
    std::size_t tried = 0;
    bool overall_timeout = false;
    for (const auto& endpoint : endpoints) {
        const auto now = clock::now();
        if (now >= budget.deadline) {
            overall_timeout = true;
            break;
        }
        const bool last = tried + 1 == endpoints.size();
        // Zero: no limit of its own, each address may take what is left (Asio's range connect).
        const auto attempt_deadline = last || budget.per_attempt <= std::chrono::milliseconds(0)
                                          ? budget.deadline
                                          : std::min(budget.deadline, now + budget.per_attempt);
        ++tried;
        error_code ec;
        tcp.socket().close(ec); // a failed attempt leaves its socket open, of its family
        tcp.expires_at(attempt_deadline);
        co_await tcp.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
            tcp.socket().set_option(tcp::no_delay(true), ec);
            co_return endpoint;
        }
        if (is_cancelled(co_await asio::this_coro::cancellation_state))
            throw attempt_error(errc::cancelled, "connect " + name + ": cancelled by the caller",
                                false);
        if (ec == beast::error::timeout) {
            overall_timeout = attempt_deadline >= budget.deadline;
            last_failure = endpoint_text(endpoint) + " did not answer within " +
                           milliseconds_text(std::chrono::duration_cast<std::chrono::milliseconds>(
                               attempt_deadline - now));
            if (overall_timeout)
                break;
        } else {
            last_failure = endpoint_text(endpoint) + ": " + ec.message();
        }
    }
    error_code ignored;
    tcp.socket().close(ignored);

    std::string what = "connect " + name + ": ";
    if (overall_timeout)
        what += "not connected within " + milliseconds_text(budget.limit);
    if (endpoints.size() > 1) {
        what += (overall_timeout ? "; " : "") + std::to_string(tried) + " of " +
                std::to_string(endpoints.size()) + " addresses tried";
        if (tried > 0)
            what += ", the last: " + last_failure;
    } else if (!overall_timeout) {
        what += last_failure;
    }
    throw attempt_error(overall_timeout ? errc::timed_out : errc::connect_failed, what, false);
}

asio::awaitable<void> open_connection(connection& c, const attempt_args& a) {
    const auto& where = a.where;
    const auto now = clock::now();
    const bool connect_bounded = now + a.options.connect_timeout < a.deadline;
    const auto connect_deadline = connect_bounded ? now + a.options.connect_timeout : a.deadline;
    const auto connect_limit = connect_bounded ? a.options.connect_timeout : a.request_timeout;

    // Through a proxy, the TCP connection goes to the proxy and a CONNECT tunnel to the origin.
    const endpoint_name peer = where.proxy ? endpoint_name{where.proxy->host, where.proxy->port,
                                                           "proxy " + proxy_name(*where.proxy)}
                                           : endpoint_name{where.host, where.port, where.name};
    const auto resolved = co_await resolve(peer, connect_deadline, connect_limit);
    const auto endpoints = interleave_families(resolved);

    auto& tcp = c.tcp();
    const connect_budget budget{connect_deadline, connect_limit, a.options.connect_attempt_timeout};
    co_await connect_any(tcp, endpoints, peer.name, budget);
    if (where.proxy) {
        const bool bounded = clock::now() + a.options.handshake_timeout < a.deadline;
        tcp.expires_at(bounded ? clock::now() + a.options.handshake_timeout : a.deadline);
        co_await open_tunnel(tcp, a, peer.name,
                             bounded ? a.options.handshake_timeout : a.request_timeout);
    }

    if (c.tls) {
        SSL* ssl = c.tls->native_handle();
        // SNI carries host names only; RFC 6066 forbids IP literals there.
        if (!where.host_is_ip && SSL_set_tlsext_host_name(ssl, where.host.c_str()) != 1)
            throw attempt_error(errc::tls_failed, "handshake " + where.name + ": cannot set SNI",
                                false);
        if (a.options.dangerously_disable_tls_verification) {
            c.tls->set_verify_mode(ssl::verify_none);
        } else {
            c.tls->set_verify_mode(ssl::verify_peer);
            // OpenSSL's own RFC 6125 check, so a mismatch is reported as such in the verify result.
            X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            int ok = where.host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, where.host.c_str())
                                      : X509_VERIFY_PARAM_set1_host(param, where.host.c_str(), 0);
            if (ok != 1)
                throw attempt_error(errc::tls_failed,
                                    "handshake " + where.name + ": cannot set the expected host",
                                    false);
        }
        const bool handshake_bounded = clock::now() + a.options.handshake_timeout < a.deadline;
        tcp.expires_at(handshake_bounded ? clock::now() + a.options.handshake_timeout : a.deadline);
        error_code ec;
        co_await c.tls->async_handshake(ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == beast::error::timeout)
                throw attempt_error(errc::timed_out,
                                    "handshake " + where.name + ": not complete within " +
                                        milliseconds_text(handshake_bounded
                                                              ? a.options.handshake_timeout
                                                              : a.request_timeout),
                                    false);
            if (is_cancelled(co_await asio::this_coro::cancellation_state))
                throw attempt_error(errc::cancelled,
                                    "handshake " + where.name + ": cancelled by the caller", false);
            long verdict = SSL_get_verify_result(ssl);
            std::string reason = verdict != X509_V_OK ? std::string("certificate rejected: ") +
                                                            X509_verify_cert_error_string(verdict)
                                                      : ec.message();
            throw attempt_error(errc::tls_failed, "handshake " + where.name + ": " + reason, false);
        }
    }
    a.stats.add(&stats_recorder::connections_opened);
}

} // namespace ascpp::http::detail
