// md5_multi, the eight-lane MD5 of upload parts: every digest must equal OpenSSL's MD5 of the same
// bytes whatever the lengths, the chunking and the order in which lanes are fed and finished, with
// each vector kernel the CPU has (AVX-512VL, AVX2) and with the scalar one.
#include "../../src/upload/md5_multi.hpp"

#include <ascpp/upload/hasher.hpp>

#include <boost/test/unit_test.hpp>

#include <array>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace up = ascpp::upload;
using up::detail::md5_multi;

namespace {

using bytes = std::vector<unsigned char>;

bytes random_bytes(std::size_t n, std::mt19937& rng) {
    bytes b(n);
    for (auto& c : b)
        c = static_cast<unsigned char>(rng());
    return b;
}

// Every kernel this CPU has; one that it lacks falls back to the next, which is then checked twice.
const std::array<md5_multi::kernel, 3> kernels = {
    md5_multi::kernel::automatic, md5_multi::kernel::avx2, md5_multi::kernel::scalar};

std::string name(const md5_multi& m) {
    return m.kernel_name();
}

// The lengths where MD5's padding changes shape, and a few long ones.
const std::vector<std::size_t> edge_lengths = {0,    1,    55,   56,    57,    63,     64,
                                               65,   119,  120,  127,   128,   129,    1000,
                                               4095, 4096, 4097, 65536, 65599, 100000, 1 << 20};

} // namespace

BOOST_AUTO_TEST_SUITE(md5_multi_suite)

BOOST_AUTO_TEST_CASE(known_answers) {
    // RFC 1321, A.5.
    md5_multi m;
    const std::string abc = "abc";
    m.update(3, std::span(reinterpret_cast<const unsigned char*>(abc.data()), abc.size()));
    BOOST_TEST(m.finish(3).hex() == "900150983cd24fb0d6963f7d28e17f72");
    BOOST_TEST(m.finish(3).hex() == "d41d8cd98f00b204e9800998ecf8427e");
}

BOOST_AUTO_TEST_CASE(picks_the_widest_kernel_the_cpu_has) {
    BOOST_TEST_MESSAGE("md5_multi kernel: " << md5_multi().kernel_name());
    BOOST_TEST(md5_multi().vectorised() == md5_multi::accelerated());
    BOOST_TEST(!md5_multi(md5_multi::kernel::scalar).vectorised());
    BOOST_TEST(md5_multi(md5_multi::kernel::scalar).kernel_name() == std::string("scalar"));
#if defined(__x86_64__) && defined(__GNUC__)
    const bool avx2 = __builtin_cpu_supports("avx2") != 0;
    const bool avx512vl =
        __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512vl") != 0;
    BOOST_TEST(md5_multi::accelerated() == avx2);
    BOOST_TEST(up::detail::md5_multi_avx512vl() == avx512vl);
    BOOST_TEST(md5_multi().kernel_name() == std::string(avx512vl ? "avx512vl"
                                                        : avx2   ? "avx2"
                                                                 : "scalar"));
    BOOST_TEST(md5_multi(md5_multi::kernel::avx2).kernel_name() ==
               std::string(avx2 ? "avx2" : "scalar"));
#endif
}

BOOST_AUTO_TEST_CASE(edge_lengths_in_all_lanes_at_once) {
    std::mt19937 rng(1);
    for (auto k : kernels) {
        md5_multi m(k);
        for (auto n : edge_lengths) {
            std::array<bytes, md5_multi::lanes> data;
            std::array<std::span<const unsigned char>, md5_multi::lanes> chunks;
            for (std::size_t i = 0; i < md5_multi::lanes; ++i) {
                data[i] = random_bytes(n, rng);
                chunks[i] = data[i];
            }
            m.update(chunks);
            for (std::size_t i = 0; i < md5_multi::lanes; ++i)
                BOOST_TEST(m.finish(i) == up::md5_of(data[i]), name(m) << " length " << n);
        }
    }
}

BOOST_AUTO_TEST_CASE(each_lane_a_different_length) {
    std::mt19937 rng(2);
    for (auto k : kernels) {
        md5_multi m(k);
        for (std::size_t start = 0; start < edge_lengths.size(); ++start) {
            std::array<bytes, md5_multi::lanes> data;
            std::array<std::span<const unsigned char>, md5_multi::lanes> chunks;
            for (std::size_t i = 0; i < md5_multi::lanes; ++i) {
                data[i] = random_bytes(edge_lengths[(start + i) % edge_lengths.size()], rng);
                chunks[i] = data[i];
            }
            m.update(chunks);
            for (std::size_t i = 0; i < md5_multi::lanes; ++i)
                BOOST_TEST(m.finish(i) == up::md5_of(data[i]),
                           name(m) << " lane " << i << " length " << data[i].size());
        }
    }
}

// Random chunk lengths, some lanes skipped in some calls, fewer spans than lanes, single-lane
// updates in between, and lanes finished at random times and reused.
BOOST_AUTO_TEST_CASE(random_chunkings_and_lifetimes) {
    std::mt19937 rng(3);
    for (auto k : kernels) {
        md5_multi m(k);
        std::array<bytes, md5_multi::lanes> fed;
        std::size_t finished = 0;
        for (int call = 0; call < 3000; ++call) {
            if (rng() % 8 == 0) {
                const std::size_t lane = rng() % md5_multi::lanes;
                const auto chunk = random_bytes(rng() % 300, rng);
                m.update(lane, chunk);
                fed[lane].insert(fed[lane].end(), chunk.begin(), chunk.end());
            } else {
                const std::size_t spans = 1 + rng() % md5_multi::lanes;
                std::array<bytes, md5_multi::lanes> data;
                std::array<std::span<const unsigned char>, md5_multi::lanes> chunks;
                for (std::size_t i = 0; i < spans; ++i) {
                    std::size_t n = 0;
                    switch (rng() % 4) {
                    case 0: // skipped this call
                        break;
                    case 1: // whole blocks, as the upload engine feeds
                        n = 64 * (rng() % 40);
                        break;
                    case 2: // near a block boundary
                        n = 64 * (rng() % 10) + rng() % 3 - 1 + 64;
                        break;
                    default:
                        n = rng() % 3000;
                    }
                    data[i] = random_bytes(n, rng);
                    chunks[i] = data[i];
                    fed[i].insert(fed[i].end(), data[i].begin(), data[i].end());
                }
                m.update(std::span(chunks.data(), spans));
            }
            if (rng() % 6 == 0) {
                const std::size_t lane = rng() % md5_multi::lanes;
                BOOST_TEST(m.finish(lane) == up::md5_of(fed[lane]),
                           name(m) << " call " << call << " lane " << lane << " after "
                                   << fed[lane].size() << " bytes");
                fed[lane].clear();
                ++finished;
            }
        }
        for (std::size_t i = 0; i < md5_multi::lanes; ++i)
            BOOST_TEST(m.finish(i) == up::md5_of(fed[i]), name(m) << " lane " << i);
        BOOST_TEST(finished > 100u);
    }
}

// An idle lane's state must come through untouched however long the others are fed.
BOOST_AUTO_TEST_CASE(idle_lanes_are_kept) {
    std::mt19937 rng(4);
    for (auto k : kernels) {
        md5_multi m(k);
        const auto head = random_bytes(100, rng), tail = random_bytes(28, rng);
        m.update(5, head);
        const auto busy = random_bytes(1 << 16, rng);
        for (int round = 0; round < 4; ++round) {
            std::array<std::span<const unsigned char>, 5> chunks = {busy, busy, {}, busy, busy};
            m.update(chunks);
        }
        m.update(5, tail);
        bytes whole = head;
        whole.insert(whole.end(), tail.begin(), tail.end());
        BOOST_TEST(m.finish(5) == up::md5_of(whole), name(m));
        bytes four(busy.size() * 4);
        for (int round = 0; round < 4; ++round)
            std::copy(busy.begin(), busy.end(), four.begin() + round * busy.size());
        for (std::size_t i : {0, 1, 3, 4})
            BOOST_TEST(m.finish(i) == up::md5_of(four), name(m) << " lane " << i);
        BOOST_TEST(m.finish(2) == up::md5_of(std::string_view{}), name(m));
    }
}

BOOST_AUTO_TEST_CASE(reset_discards) {
    for (auto k : kernels) {
        md5_multi m(k);
        const bytes junk(200, 0xab);
        m.update(0, junk);
        m.reset(0);
        const std::string abc = "abc";
        m.update(0, std::span(reinterpret_cast<const unsigned char*>(abc.data()), abc.size()));
        BOOST_TEST(m.finish(0).hex() == "900150983cd24fb0d6963f7d28e17f72", name(m));
    }
}

BOOST_AUTO_TEST_CASE(lanes_out_of_range_are_refused) {
    md5_multi m;
    const bytes b(1);
    BOOST_CHECK_THROW(m.update(md5_multi::lanes, b), std::out_of_range);
    BOOST_CHECK_THROW(m.finish(md5_multi::lanes), std::out_of_range);
    BOOST_CHECK_THROW(m.reset(md5_multi::lanes), std::out_of_range);
    std::array<std::span<const unsigned char>, md5_multi::lanes + 1> too_many{};
    BOOST_CHECK_THROW(m.update(too_many), std::out_of_range);
}

// The kernels themselves, block for block, one group of eight lanes and two, with a vector lane
// left idle in each group.
BOOST_AUTO_TEST_CASE(kernels_agree) {
    std::mt19937 rng(5);
    const std::size_t blocks = 37;
    const auto idle = [](std::size_t i) { return i == 6 || i == 13; };
    std::array<bytes, 16> data;
    const unsigned char* starts[16];
    std::array<std::array<std::uint32_t, 4>, 16> expected;
    up::detail::md5_x8_state s[2];
    for (std::size_t i = 0; i < 16; ++i) {
        // Odd offsets: the kernel must not assume alignment.
        data[i] = random_bytes(blocks * 64 + 1 + i, rng);
        starts[i] = data[i].data() + 1 + i;
        expected[i] = {static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng()),
                       static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng())};
        auto& g = s[i / 8];
        g.a[i % 8] = expected[i][0];
        g.b[i % 8] = expected[i][1];
        g.c[i % 8] = expected[i][2];
        g.d[i % 8] = expected[i][3];
        if (!idle(i))
            up::detail::md5_blocks_scalar(expected[i], starts[i], blocks);
    }
    unsigned active = 0;
    for (std::size_t i = 0; i < 16; ++i)
        active |= idle(i) ? 0u : 1u << i;
    auto compare = [&](const up::detail::md5_x8_state(&out)[2], std::size_t lanes,
                       const char* name) {
        for (std::size_t i = 0; i < lanes; ++i) {
            if (idle(i))
                continue;
            const auto& g = out[i / 8];
            const std::array<std::uint32_t, 4> got = {g.a[i % 8], g.b[i % 8], g.c[i % 8],
                                                      g.d[i % 8]};
            BOOST_TEST(got == expected[i], name << " lane " << i);
        }
    };
    auto check = [&](auto x8, auto x16, const char* name) {
        up::detail::md5_x8_state one[2] = {s[0], s[1]};
        x8(one[0], starts, active & 0xff, blocks);
        compare(one, 8, name);
        up::detail::md5_x8_state two[2] = {s[0], s[1]};
        x16(two, starts, active, blocks);
        compare(two, 16, name);
    };
    if (md5_multi::accelerated())
        check(up::detail::md5_blocks_x8_avx2, up::detail::md5_blocks_x16_avx2, "avx2");
    if (up::detail::md5_multi_avx512vl())
        check(up::detail::md5_blocks_x8_avx512vl, up::detail::md5_blocks_x16_avx512vl, "avx512vl");
}

BOOST_AUTO_TEST_SUITE_END()
