// A coroutine HTTP/1.1 client over TLS with one bounded keep-alive connection pool per origin.
// It knows nothing of App Store Connect.
#pragma once

#include <ascpp/async.hpp>
#include <ascpp/http/error.hpp>
#include <ascpp/http/options.hpp>
#include <ascpp/http/request.hpp>
#include <ascpp/http/response.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::http {

// Safe to share between the threads of a multi-threaded io_context: pool state is guarded
// internally, and each request runs on the caller's executor.
class client {
public:
    client(asio::any_io_executor ex, client_options options = {});
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Sends one request and reads the whole response. Throws transport_error. Any status code is
    // a successful completion; interpreting it is the caller's job.
    asio::awaitable<response> send(request req);

    template <class CompletionToken = default_token>
    auto async_send(request req, CompletionToken&& token = {}) {
        return run_async(executor(), send(std::move(req)), std::forward<CompletionToken>(token));
    }

    client_stats stats() const;
    const client_options& options() const noexcept;
    asio::any_io_executor executor() const noexcept;

    // Closes every idle connection now (in-flight requests finish normally).
    void close_idle();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace ascpp::http
