// Runs short blocking work (journal writes, file reads) on the hashing pool instead of an
// io_context thread, and resumes the caller on its own executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>

namespace ascpp::upload::detail {

namespace asio = boost::asio;

// The process-wide pool that hashes files and runs blocking work (about half the cores).
asio::any_io_executor hashing_executor();

// Rethrows what `work` throws.
asio::awaitable<void> run_blocking(std::function<void()> work);

} // namespace ascpp::upload::detail
