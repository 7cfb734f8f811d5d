// A tiny in-process HTTP/1.1 server for the API client's network tests: plain HTTP on a loopback
// address, its own thread, keep-alive, and a handler deciding each answer (with optional delay
// or a dropped connection). Every request is recorded for the test to inspect.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ascpp::test {

struct recorded_request {
    std::string method;
    std::string target;                         // path and query, as received
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;

    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string{} : it->second;
    }
    std::string path() const { return target.substr(0, target.find('?')); }
    std::string query() const {
        auto q = target.find('?');
        return q == std::string::npos ? std::string{} : target.substr(q + 1);
    }
};

struct canned_response {
    unsigned status = 200;
    std::string body;
    std::map<std::string, std::string> headers;
    std::chrono::milliseconds delay{0};
    bool drop_connection = false; // close without answering
};

class test_server {
public:
    using handler = std::function<canned_response(const recorded_request&)>;

    explicit test_server(handler h, std::string address = "127.0.0.1");
    ~test_server();
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;

    // "http://127.0.0.1:PORT"
    std::string url() const;
    std::vector<recorded_request> requests() const;
    std::size_t request_count() const;
    void set_handler(handler h);

private:
    boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket);
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::string address_;
    std::uint16_t port_ = 0;
    mutable std::mutex mutex_;
    handler handler_;
    std::vector<recorded_request> requests_;
    std::thread thread_;
};

} // namespace ascpp::test
