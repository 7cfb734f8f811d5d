// Walks a list operation page by page, following `links.next` verbatim.
//
//   auto pages = client.paginate_background_assets(app_id, query);
//   while (auto page = co_await pages.next_page()) { ... if (enough) break; }
//
// Stopping is just not asking for the next page. A `next` link whose origin differs from the
// API's is refused with decode_error (the token must never go elsewhere). One pager is one
// sequence: do not call next_page concurrently on the same pager. The client must outlive it.
#pragma once

#include <ascpp/api/document.hpp>
#include <ascpp/async.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace ascpp::api {

class client;

template <class T>
class pager {
public:
    // The next page, or nullopt after the last one. Throws api_error / transport_error; after a
    // failure the same page can be asked for again.
    asio::awaitable<std::optional<page<T>>> next_page();

    template <class CompletionToken = default_token>
    auto async_next_page(CompletionToken&& token = {}) {
        return run_async(executor_, next_page(), std::forward<CompletionToken>(token));
    }

    bool done() const noexcept { return !next_url_; }
    // meta.paging.total of the latest page, when the server sent it.
    std::optional<std::int64_t> total() const noexcept { return total_; }
    std::uint64_t pages_fetched() const noexcept { return pages_; }

private:
    friend class client;
    pager(client& c, asio::any_io_executor ex, std::string operation, std::string first_url)
        : client_(&c), executor_(std::move(ex)), operation_(std::move(operation)),
          next_url_(std::move(first_url)) {}

    client* client_;
    asio::any_io_executor executor_;
    std::string operation_;
    std::optional<std::string> next_url_;
    std::optional<std::int64_t> total_;
    std::uint64_t pages_ = 0;
};

} // namespace ascpp::api
