#include "test_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cctype>

namespace ascpp::test {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

std::string lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

} // namespace

test_server::test_server(handler h, std::string address)
    : acceptor_(io_), address_(std::move(address)), handler_(std::move(h)) {
    asio::ip::tcp::endpoint ep(asio::ip::make_address(address_), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(
        io_,
        [this]() -> asio::awaitable<void> {
            for (;;) {
                auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
                asio::co_spawn(
                    io_,
                    [this, s = std::move(socket)]() mutable -> asio::awaitable<void> {
                        co_await serve_connection(std::move(s));
                    },
                    asio::detached);
            }
        },
        asio::detached);
    thread_ = std::thread([this] { io_.run(); });
}

test_server::~test_server() {
    io_.stop();
    thread_.join();
}

std::string test_server::url() const {
    return "http://" + address_ + ":" + std::to_string(port_);
}

std::vector<recorded_request> test_server::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::size_t test_server::request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
}

void test_server::set_handler(handler h) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(h);
}

asio::awaitable<void> test_server::serve_connection(asio::ip::tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    // Bounded: a test never needs more than a few hundred requests on one connection.
    for (int n = 0; n < 10000; ++n) {
        bhttp::request<bhttp::string_body> req;
        boost::system::error_code ec;
        co_await bhttp::async_read(socket, buffer, req,
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            co_return;
        recorded_request rec;
        rec.method = std::string(req.method_string());
        rec.target = std::string(req.target());
        for (const auto& f : req)
            rec.headers[lower(std::string(f.name_string()))] = std::string(f.value());
        rec.body = req.body();
        handler h;
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(rec);
            h = handler_;
        }
        canned_response answer = h(rec);
        if (answer.delay.count() > 0) {
            asio::steady_timer timer(socket.get_executor(), answer.delay);
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (answer.drop_connection) {
            socket.close(ec);
            co_return;
        }
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(answer.status),
                                                req.version()};
        res.set(bhttp::field::content_type, "application/json");
        for (const auto& [k, v] : answer.headers)
            res.set(k, v);
        res.body() = std::move(answer.body);
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        co_await bhttp::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
        if (ec || !req.keep_alive())
            co_return;
    }
}

} // namespace ascpp::test
