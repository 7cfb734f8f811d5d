// Runs short blocking work (journal writes, file reads) on the blocking pool instead of an
// io_context thread, and resumes the caller on its own executor.
#pragma once

#include <ascpp/detail/blocking_pool.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>

namespace ascpp::detail {

// Rethrows what `work` throws.
boost::asio::awaitable<void> run_blocking(std::function<void()> work);

} // namespace ascpp::detail
