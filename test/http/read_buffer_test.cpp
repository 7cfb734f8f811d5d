// The pool of file-read buffers (src/detail/read_buffer.hpp): aligned, reused within a size
// class, bounded when idle.
#include <boost/test/unit_test.hpp>

#include "../detail/read_buffer.hpp"

#include <cstdint>
#include <vector>

namespace {

using ascpp::detail::idle_read_buffer_bytes;
using ascpp::detail::make_read_buffer;
using ascpp::detail::read_buffer;

constexpr std::size_t KiB = 1024, MiB = 1024 * KiB;

bool aligned(const read_buffer& b) {
    return reinterpret_cast<std::uintptr_t>(b.get()) % 64 == 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(read_buffers)

BOOST_AUTO_TEST_CASE(a_released_buffer_serves_the_next_request_of_its_class) {
    ascpp::detail::free_idle_read_buffers();
    auto a = make_read_buffer(256 * KiB);
    BOOST_TEST(aligned(a));
    unsigned char* p = a.get();
    a.reset();
    auto b = make_read_buffer(1 * MiB); // another class: not the idle buffer
    BOOST_TEST(aligned(b));
    BOOST_TEST(b.get() != p);
    auto c = make_read_buffer(100 * KiB); // rounded up to 256 KiB
    BOOST_TEST(c.get() == p);
    auto large = make_read_buffer(3 * MiB); // beyond the classes: a plain allocation
    BOOST_TEST(aligned(large));
    large[3 * MiB - 1] = 1;
}

BOOST_AUTO_TEST_CASE(idle_buffers_are_bounded) {
    ascpp::detail::free_idle_read_buffers();
    BOOST_TEST(idle_read_buffer_bytes() == 0u);
    std::vector<read_buffer> held;
    for (int i = 0; i < 40; ++i) {
        held.push_back(make_read_buffer(1 * MiB));
        BOOST_TEST(aligned(held.back()));
        held.back()[0] = held.back()[MiB - 1] = 1; // the whole buffer is usable
    }
    BOOST_TEST(idle_read_buffer_bytes() == 0u); // two per block, all held
    held.clear();
    // 8 MiB may stay idle; the blocks beyond went back to the system.
    BOOST_TEST(idle_read_buffer_bytes() > 0u);
    BOOST_TEST(idle_read_buffer_bytes() <= 8 * MiB);
    ascpp::detail::free_idle_read_buffers();
    BOOST_TEST(idle_read_buffer_bytes() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
