// Walks a list operation page by page, following `links.next` verbatim.
//
//   auto pages = client.paginate_background_assets(app_id, query);
//   while (auto page = co_await pages.next_page()) { ... if (enough) break; }
//
// Without a coroutine: pages.async_for_each_page(on_page, token) calls on_page for each page
// until it returns false, and pages.async_all(token) collects every item.
//
// Stopping is just not asking for the next page. A `next` link whose origin differs from the
// API's is refused with decode_error (the token must never go elsewhere). One pager is one
// sequence: do not call next_page concurrently on the same pager. A pager holds the client's
// state, so it keeps working after the client that made it is destroyed.
#pragma once

#include <ascpp/api/document.hpp>
#include <ascpp/async.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ascpp::api {

class client;
namespace detail {
struct client_state; // what api::client and its operations share (src/api/client.cpp)
} // namespace detail

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

    // Calls `on_page` with each remaining page until it returns false or the pages end; returns
    // the number of pages it was called with.
    asio::awaitable<std::uint64_t> for_each_page(std::function<bool(const page<T>&)> on_page) {
        std::uint64_t n = 0;
        while (auto p = co_await next_page()) {
            ++n;
            if (!on_page(*p))
                break;
        }
        co_return n;
    }
    template <class CompletionToken = default_token>
    auto async_for_each_page(std::function<bool(const page<T>&)> on_page,
                             CompletionToken&& token = {}) {
        return run_async(executor_, for_each_page(std::move(on_page)),
                         std::forward<CompletionToken>(token));
    }

    // Every remaining item, in order. More than `max_items` throws std::length_error: a list
    // that long is better walked page by page.
    asio::awaitable<std::vector<T>> all(std::size_t max_items = 100'000) {
        std::vector<T> items;
        while (auto p = co_await next_page()) {
            if (p->data.size() > max_items - items.size())
                throw std::length_error("pager: more than " + std::to_string(max_items) +
                                        " items in " + operation_);
            for (auto& item : p->data)
                items.push_back(std::move(item));
        }
        co_return items;
    }
    template <class CompletionToken = default_token>
    auto async_all(CompletionToken&& token = {}) {
        return run_async(executor_, all(), std::forward<CompletionToken>(token));
    }

    bool done() const noexcept { return !next_url_; }
    // meta.paging.total of the latest page, when the server sent it.
    std::optional<std::int64_t> total() const noexcept { return total_; }
    std::uint64_t pages_fetched() const noexcept { return pages_; }

private:
    friend class client;
    pager(std::shared_ptr<detail::client_state> state, asio::any_io_executor ex,
          std::string operation, std::string first_url)
        : state_(std::move(state)), executor_(std::move(ex)), operation_(std::move(operation)),
          next_url_(std::move(first_url)) {}

    std::shared_ptr<detail::client_state> state_;
    asio::any_io_executor executor_;
    std::string operation_;
    std::optional<std::string> next_url_;
    std::optional<std::int64_t> total_;
    std::uint64_t pages_ = 0;
};

} // namespace ascpp::api
