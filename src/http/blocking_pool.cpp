#include <ascpp/http/detail/blocking_pool.hpp>

#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <thread>

namespace ascpp::http::detail {

boost::asio::any_io_executor blocking_pool() {
    // Never destroyed: a job may still be finishing while the process exits.
    static auto* pool =
        new boost::asio::thread_pool(std::max(1u, std::thread::hardware_concurrency() / 2));
    return pool->get_executor();
}

} // namespace ascpp::http::detail
