#include "webhook_request.hpp"

#include <ascpp/workflow/webhook_receiver.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_set>

namespace ascpp::workflow {

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

auto tuple_awaitable() {
    return asio::as_tuple(asio::use_awaitable);
}

bhttp::response<bhttp::string_body> answer(unsigned status, unsigned version, bool keep_alive) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), version};
    res.set(bhttp::field::server, "ascpp-webhook");
    if (status == 405)
        res.set(bhttp::field::allow, "POST");
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
}

} // namespace

struct webhook_receiver::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, webhook_receiver_options o, std::shared_ptr<state_watcher> w)
        : options(std::move(o)), watcher(std::move(w)), strand(asio::make_strand(ex)),
          acceptor(strand), tls(asio::ssl::context::tls_server) {}

    webhook_receiver_options options;
    std::shared_ptr<state_watcher> watcher;
    asio::strand<asio::any_io_executor> strand;
    tcp::acceptor acceptor;
    asio::ssl::context tls;
    bool use_tls = false;
    std::uint16_t port = 0;

    // On the strand: the open connections, to close them on stop.
    std::map<std::uint64_t, beast::tcp_stream*> open;
    std::uint64_t next_connection = 0;
    bool closing = false;

    // Held while an event is handed out, and by stop(): after stop() nothing is handed out.
    std::mutex deliver_mutex;
    bool stopped = false;

    mutable std::mutex stats_mutex;
    webhook_receiver_stats counters;
    // Event ids seen, oldest first.
    std::unordered_set<std::string> seen;
    std::deque<std::string> seen_order;

    template <class F>
    void count(F f) {
        std::lock_guard lock(stats_mutex);
        f(counters);
    }

    // Whether the id is new; remembers it.
    bool remember(const std::string& id) {
        std::lock_guard lock(stats_mutex);
        if (!seen.insert(id).second)
            return false;
        seen_order.push_back(id);
        while (seen_order.size() > std::max<std::size_t>(1, options.remembered_deliveries)) {
            seen.erase(seen_order.front());
            seen_order.pop_front();
        }
        return true;
    }

    void hand_out(const webhook_event& e) {
        std::lock_guard lock(deliver_mutex);
        if (stopped)
            return;
        if (options.on_event)
            options.on_event(e);
        if (watcher && !e.resource_type.empty() && !e.resource_id.empty())
            watcher->notify(pushed_change{e.resource_type, e.resource_id, e.new_state});
    }

    template <class Stream>
    asio::awaitable<bool> serve(Stream& stream, beast::tcp_stream& lowest) {
        beast::flat_buffer buffer;
        for (;;) {
            detail::webhook_parser parser;
            detail::limit_parser(parser, options);
            lowest.expires_after(options.idle_timeout);
            auto [hec, hn] =
                co_await bhttp::async_read_header(stream, buffer, parser, tuple_awaitable());
            if (!hec && parser.chunked()) {
                // Only bodies of a declared length: Beast 1.81's chunk parser trips an assertion
                // on some malformed chunk headers (found by fuzz_webhook_request).
                count([](auto& c) { ++c.other_requests; });
                auto res = answer(411, 11, false);
                co_await bhttp::async_write(stream, res, tuple_awaitable());
                co_return true;
            }
            boost::system::error_code ec = hec;
            if (!ec) {
                auto [bec, bn] =
                    co_await bhttp::async_read(stream, buffer, parser, tuple_awaitable());
                ec = bec;
            }
            if (ec == bhttp::error::body_limit) {
                count([](auto& c) { ++c.too_large; });
                auto res = answer(413, 11, false);
                co_await bhttp::async_write(stream, res, tuple_awaitable());
                co_return true;
            }
            if (ec == bhttp::error::end_of_stream)
                co_return true;
            if (ec) {
                if (ec != asio::error::operation_aborted && ec != beast::error::timeout &&
                    ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
                    count([](auto& c) { ++c.other_requests; });
                    auto res = answer(400, 11, false);
                    co_await bhttp::async_write(stream, res, tuple_awaitable());
                }
                co_return false;
            }
            auto req = parser.release();
            auto verdict = detail::judge_webhook(options, req);
            switch (verdict.outcome) {
            case detail::webhook_outcome::accepted:
                if (remember(verdict.event->id)) {
                    count([](auto& c) { ++c.accepted; });
                    hand_out(*verdict.event);
                } else {
                    count([](auto& c) { ++c.duplicates; });
                }
                break;
            case detail::webhook_outcome::duplicate:
                count([](auto& c) { ++c.duplicates; });
                break;
            case detail::webhook_outcome::missing_signature:
                count([](auto& c) { ++c.missing_signatures; });
                break;
            case detail::webhook_outcome::bad_signature:
                count([](auto& c) { ++c.bad_signatures; });
                break;
            case detail::webhook_outcome::malformed:
                count([](auto& c) { ++c.malformed; });
                break;
            case detail::webhook_outcome::not_post:
                count([](auto& c) { ++c.other_requests; });
                break;
            }
            const bool keep = req.keep_alive() && verdict.status < 400;
            auto res = answer(verdict.status, req.version(), keep);
            lowest.expires_after(options.idle_timeout);
            auto [wec, wn] = co_await bhttp::async_write(stream, res, tuple_awaitable());
            if (wec)
                co_return false;
            if (!keep)
                co_return true;
        }
    }

    static asio::awaitable<void> session(std::shared_ptr<impl> self, tcp::socket socket) {
        beast::tcp_stream lowest(std::move(socket));
        const auto id = self->next_connection++;
        self->open.emplace(id, &lowest);
        if (self->use_tls) {
            tls_stream stream(std::move(lowest), self->tls);
            auto& inner = beast::get_lowest_layer(stream);
            self->open[id] = &inner;
            inner.expires_after(self->options.idle_timeout);
            auto [hec] =
                co_await stream.async_handshake(asio::ssl::stream_base::server, tuple_awaitable());
            if (!hec && co_await self->serve(stream, inner)) {
                inner.expires_after(std::chrono::seconds(2));
                co_await stream.async_shutdown(tuple_awaitable());
            }
            self->open.erase(id);
            beast::error_code ignored;
            inner.socket().close(ignored);
        } else {
            if (co_await self->serve(lowest, lowest)) {
                beast::error_code ignored;
                lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
            }
            self->open.erase(id);
            beast::error_code ignored;
            lowest.socket().close(ignored);
        }
    }

    static asio::awaitable<void> accept_loop(std::shared_ptr<impl> self) {
        for (;;) {
            auto [ec, socket] = co_await self->acceptor.async_accept(tuple_awaitable());
            if (self->closing || ec == asio::error::operation_aborted || !self->acceptor.is_open())
                co_return;
            if (ec)
                continue; // e.g. too many open files: the next accept may work
            if (self->open.size() >= self->options.max_connections) {
                self->count([](auto& c) { ++c.refused_connections; });
                beast::error_code ignored;
                socket.close(ignored);
                continue;
            }
            self->count([](auto& c) { ++c.connections; });
            asio::co_spawn(self->strand, session(self, std::move(socket)), asio::detached);
        }
    }

    void close_all() {
        closing = true;
        beast::error_code ignored;
        acceptor.close(ignored);
        for (auto& [id, s] : open)
            s->socket().close(ignored);
    }
};

webhook_receiver::webhook_receiver(asio::any_io_executor ex, webhook_receiver_options options,
                                   std::shared_ptr<state_watcher> watcher) {
    if (options.secret.empty())
        throw std::invalid_argument("a webhook receiver needs the webhook's secret");
    if (options.signature_header.empty())
        throw std::invalid_argument("the signature header name is empty");
    if (options.max_connections == 0)
        throw std::invalid_argument("max_connections must be at least 1");
    impl_ = std::make_shared<impl>(std::move(ex), std::move(options), std::move(watcher));
    auto& s = *impl_;
    if (s.options.tls) {
        s.use_tls = true;
        s.tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                          asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                          asio::ssl::context::no_tlsv1_1);
        s.tls.use_certificate_chain_file(s.options.tls->certificate_chain.string());
        s.tls.use_private_key_file(s.options.tls->private_key.string(), asio::ssl::context::pem);
    }
    tcp::endpoint where(asio::ip::make_address(s.options.address), s.options.port);
    s.acceptor.open(where.protocol());
    s.acceptor.set_option(tcp::acceptor::reuse_address(true));
    s.acceptor.bind(where);
    s.acceptor.listen();
    s.port = s.acceptor.local_endpoint().port();
    asio::co_spawn(s.strand, impl::accept_loop(impl_), asio::detached);
}

webhook_receiver::~webhook_receiver() {
    stop();
}

std::uint16_t webhook_receiver::port() const noexcept {
    return impl_->port;
}

void webhook_receiver::stop() {
    {
        std::lock_guard lock(impl_->deliver_mutex);
        if (impl_->stopped)
            return;
        impl_->stopped = true;
    }
    asio::post(impl_->strand, [self = impl_] { self->close_all(); });
}

webhook_receiver_stats webhook_receiver::stats() const {
    std::lock_guard lock(impl_->stats_mutex);
    return impl_->counters;
}

} // namespace ascpp::workflow
