// A small, independent HTTPS client for the simulator's tests: plain Beast over TLS (verifying
// the simulator's CA and host), one connection per request, every request bounded in time. It
// deliberately shares no code with ascpp::http, so the simulator is checked on its own.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ascpp::test {

struct http_call {
    boost::beast::http::verb method = boost::beast::http::verb::get;
    std::string url; // absolute
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds timeout{20'000};
    // Content-Length to announce instead of the body's size (to send a body shorter or longer
    // than announced); the connection then stays open until the timeout or the server's answer.
    std::optional<std::uint64_t> content_length;
    // Send the body with chunked transfer encoding instead of a Content-Length.
    bool chunked = false;
};

struct http_result {
    unsigned status = 0; // 0: the exchange failed (see error)
    std::string error;
    boost::beast::http::fields headers;
    std::string body;

    std::string header(std::string_view name) const;
    boost::json::value json() const; // throws when the body is not JSON
};

class https_client {
public:
    explicit https_client(std::filesystem::path ca_file) : ca_file_(std::move(ca_file)) {}
    http_result send(const http_call& call) const;
    // All at once on one io_context, each on its own connection; results in call order.
    std::vector<http_result> send_all(const std::vector<http_call>& calls) const;

private:
    std::filesystem::path ca_file_;
};

} // namespace ascpp::test
