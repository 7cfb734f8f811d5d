// The process-wide pool for blocking work: file reads for request bodies, hashing, journal
// writes. Nothing that may wait on a disk runs on an io_context thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>

namespace ascpp {
// As in <ascpp/async.hpp>: every layer of the library spells Boost.Asio `asio`.
namespace asio = boost::asio;
} // namespace ascpp

namespace ascpp::detail {

// About half the cores (at least one), so the rest stay free for the io_context threads. The
// pool lives until the process exits; work is posted to it as short jobs.
boost::asio::any_io_executor blocking_pool();

} // namespace ascpp::detail
