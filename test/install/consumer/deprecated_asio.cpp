// A program built on Asio's deprecated interfaces (io_context::work, io_context::post), which
// BOOST_ASIO_NO_DEPRECATED removes: it must compile and run against the installed package.
#include "list_packs.hpp"

#include <memory>

int main() {
    bool posted_ran = false;
    const int rc =
        list_packs_against_simulator("deprecated_asio", [&](boost::asio::io_context& io) {
            auto work = std::make_shared<boost::asio::io_context::work>(io);
            io.post([&posted_ran, work]() mutable {
                posted_ran = true;
                work.reset();
            });
        });
    return rc == 0 && posted_ran ? 0 : 1;
}
