// The pool of file-read buffers (src/detail/read_buffer.hpp): aligned, reused by size, bounded.
#include <boost/test/unit_test.hpp>

#include "../detail/read_buffer.hpp"

#include <cstdint>
#include <vector>

namespace {

using ascpp::detail::make_read_buffer;
using ascpp::detail::read_buffer;

bool aligned(const read_buffer& b) {
    return reinterpret_cast<std::uintptr_t>(b.get()) % 64 == 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(read_buffers)

BOOST_AUTO_TEST_CASE(a_released_buffer_serves_the_next_request_of_its_size) {
    ascpp::detail::free_idle_read_buffers();
    constexpr std::size_t size = 300 * 1024, other = 256 * 1024;
    auto a = make_read_buffer(size);
    BOOST_TEST(aligned(a));
    unsigned char* p = a.get();
    a.reset();
    auto b = make_read_buffer(other); // another size: not the idle buffer
    BOOST_TEST(aligned(b));
    BOOST_TEST(b.get() != p);
    auto c = make_read_buffer(size);
    BOOST_TEST(c.get() == p);
}

BOOST_AUTO_TEST_CASE(idle_buffers_are_bounded) {
    // 8 MiB may stay idle: of 40 released buffers of 1 MiB, the next 40 requests find at most 8.
    ascpp::detail::free_idle_read_buffers();
    constexpr std::size_t size = 1024 * 1024;
    std::vector<read_buffer> held;
    for (int i = 0; i < 40; ++i)
        held.push_back(make_read_buffer(size));
    std::vector<unsigned char*> released;
    for (auto& b : held)
        released.push_back(b.get());
    held.clear();
    int reused = 0;
    for (int i = 0; i < 40; ++i) {
        held.push_back(make_read_buffer(size));
        BOOST_TEST(aligned(held.back()));
        for (auto* p : released)
            if (held.back().get() == p)
                ++reused;
    }
    BOOST_TEST(reused >= 1);
    BOOST_TEST(reused <= 8);
}

BOOST_AUTO_TEST_SUITE_END()
