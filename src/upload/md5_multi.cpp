#include "md5_multi.hpp"
#include "md5_rounds.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

// The vector kernels (md5_multi_avx2.cpp, md5_multi_avx512.cpp) are built, with their instruction
// sets for those files only, for x86-64 with GCC or Clang; CMake and those files test the same
// condition.
#if defined(__x86_64__) && defined(__GNUC__)
#define ASCPP_MD5_X8_AVX2 1
#else
#define ASCPP_MD5_X8_AVX2 0
#endif

namespace ascpp::upload::detail {

namespace {

namespace r = md5_rounds;

// Below this many lanes with whole blocks to hash, the serial kernel is faster than eight lanes
// of which most would be idle.
constexpr unsigned min_vector_lanes = 2;

// What idle lanes of the vector kernels read.
alignas(64) constexpr unsigned char idle_block[64] = {};

inline std::uint32_t rotl(std::uint32_t x, int s) {
    return x << s | x >> (32 - s);
}

inline std::uint32_t load_le32(const unsigned char* p) {
    return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
           std::uint32_t{p[3]} << 24;
}

template <std::size_t I>
inline void step(std::uint32_t (&v)[4], const std::uint32_t (&x)[16]) {
    std::uint32_t& a = v[r::a_of(I)];
    const std::uint32_t b = v[r::b_of(I)], c = v[r::c_of(I)], d = v[r::d_of(I)];
    // What does not depend on b, the previous step's result, is summed first: the chain from one
    // step to the next is what bounds the speed.
    std::uint32_t t = a + x[r::word(I)] + r::k[I];
    if constexpr (I < 16) {
        t += d ^ (b & (c ^ d));
    } else if constexpr (I < 32) {
        // (b & d) | (c & ~d): the two terms share no bits, so they can be added one at a time.
        t += c & ~d;
        t += b & d;
    } else if constexpr (I < 48) {
        t += b ^ (c ^ d);
    } else {
        t += c ^ (b | ~d);
    }
    a = b + rotl(t, r::shift(I));
}

template <std::size_t... I>
inline void steps(std::uint32_t (&v)[4], const std::uint32_t (&x)[16], std::index_sequence<I...>) {
    (step<I>(v, x), ...);
}

} // namespace

void md5_blocks_scalar(std::array<std::uint32_t, 4>& h, const unsigned char* data,
                       std::size_t blocks) noexcept {
    std::uint32_t v[4] = {h[0], h[1], h[2], h[3]};
    for (; blocks > 0; --blocks, data += 64) {
        std::uint32_t x[16];
        for (std::size_t i = 0; i < 16; ++i)
            x[i] = load_le32(data + 4 * i);
        const std::uint32_t saved[4] = {v[0], v[1], v[2], v[3]};
        steps(v, x, std::make_index_sequence<64>{});
        for (std::size_t i = 0; i < 4; ++i)
            v[i] += saved[i];
    }
    h = {v[0], v[1], v[2], v[3]};
}

bool md5_multi_avx512vl() noexcept {
#if ASCPP_MD5_X8_AVX2
    // __builtin_cpu_supports also checks that the OS saves the registers these need.
    static const bool avx512vl = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512vl") != 0;
    }();
    return avx512vl;
#else
    return false;
#endif
}

md5_multi::md5_multi(kernel k) noexcept {
#if ASCPP_MD5_X8_AVX2
    if (k == kernel::automatic && md5_multi_avx512vl()) {
        blocks_x8_ = md5_blocks_x8_avx512vl;
        blocks_x16_ = md5_blocks_x16_avx512vl;
    } else if (k != kernel::scalar && accelerated()) {
        blocks_x8_ = md5_blocks_x8_avx2;
        blocks_x16_ = md5_blocks_x16_avx2;
    }
#else
    (void)k;
#endif
    for (std::size_t i = 0; i < lanes; ++i)
        reset(i);
}

bool md5_multi::accelerated() noexcept {
#if ASCPP_MD5_X8_AVX2
    static const bool avx2 = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    }();
    return avx2;
#else
    return false;
#endif
}

const char* md5_multi::kernel_name() const noexcept {
#if ASCPP_MD5_X8_AVX2
    if (blocks_x8_ == md5_blocks_x8_avx512vl)
        return "avx512vl";
    if (blocks_x8_ == md5_blocks_x8_avx2)
        return "avx2";
#endif
    return "scalar";
}

void md5_multi::reset(std::size_t lane) {
    if (lane >= lanes)
        throw std::out_of_range("md5_multi: no such lane");
    auto& l = lanes_[lane];
    l.h = {r::initial[0], r::initial[1], r::initial[2], r::initial[3]};
    l.length = 0;
    l.pending_size = 0;
}

void md5_multi::update(std::size_t lane, std::span<const unsigned char> bytes) {
    if (lane >= lanes)
        throw std::out_of_range("md5_multi: no such lane");
    std::array<std::span<const unsigned char>, lanes> chunks{};
    chunks[lane] = bytes;
    update(std::span(chunks.data(), lane + 1));
}

void md5_multi::update(std::span<const std::span<const unsigned char>> chunks) {
    if (chunks.size() > lanes)
        throw std::out_of_range("md5_multi: more chunks than lanes");
    // What is left of each lane's chunk once its pending partial block is completed.
    const unsigned char* next[lanes] = {};
    std::size_t left[lanes] = {};
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        auto& l = lanes_[i];
        const unsigned char* p = chunks[i].data();
        std::size_t n = chunks[i].size();
        if (n == 0)
            continue;
        l.length += n;
        if (l.pending_size > 0) {
            const std::size_t take = std::min(n, 64 - l.pending_size);
            std::memcpy(l.pending.data() + l.pending_size, p, take);
            l.pending_size += take;
            p += take;
            n -= take;
            if (l.pending_size < 64)
                continue;
            md5_blocks_scalar(l.h, l.pending.data(), 1);
            l.pending_size = 0;
        }
        next[i] = p;
        left[i] = n;
    }

#if ASCPP_MD5_X8_AVX2
    // Whole blocks, the fed lanes packed into one group of eight vector lanes or two: as many
    // blocks as the shortest fed lane has, then again for the lanes that still have some, until
    // too few lanes remain to be worth it.
    while (blocks_x8_ != nullptr) {
        std::size_t fed[lanes]; // vector lane j hashes lane fed[j]
        std::size_t count = 0;
        std::size_t blocks = SIZE_MAX;
        for (std::size_t i = 0; i < lanes; ++i)
            if (left[i] >= 64) {
                fed[count++] = i;
                blocks = std::min(blocks, left[i] / 64);
            }
        if (count < min_vector_lanes)
            break;
        md5_x8_state s[2];
        const unsigned char* data[lanes];
        const std::size_t width = count > 8 ? 16 : 8;
        for (std::size_t j = 0; j < width; ++j) {
            auto& group = s[j / 8];
            const auto& h = lanes_[j < count ? fed[j] : 0].h;
            group.a[j % 8] = h[0];
            group.b[j % 8] = h[1];
            group.c[j % 8] = h[2];
            group.d[j % 8] = h[3];
            data[j] = j < count ? next[fed[j]] : idle_block;
        }
        const unsigned active = (1u << count) - 1;
        if (width == 16)
            blocks_x16_(s, data, active, blocks);
        else
            blocks_x8_(s[0], data, active, blocks);
        for (std::size_t j = 0; j < count; ++j) {
            const auto& group = s[j / 8];
            const std::size_t i = fed[j];
            lanes_[i].h = {group.a[j % 8], group.b[j % 8], group.c[j % 8], group.d[j % 8]};
            next[i] += blocks * 64;
            left[i] -= blocks * 64;
        }
    }
#endif

    for (std::size_t i = 0; i < chunks.size(); ++i) {
        if (left[i] == 0)
            continue;
        auto& l = lanes_[i];
        const std::size_t whole = left[i] / 64;
        if (whole > 0)
            md5_blocks_scalar(l.h, next[i], whole);
        l.pending_size = left[i] % 64;
        if (l.pending_size > 0)
            std::memcpy(l.pending.data(), next[i] + whole * 64, l.pending_size);
    }
}

#if !ASCPP_MD5_X8_AVX2
// Never called: md5_multi picks no vector kernel where none is built.
void md5_blocks_x8_avx2(md5_x8_state&, const unsigned char* const[8], unsigned,
                        std::size_t) noexcept {
    std::abort();
}
void md5_blocks_x8_avx512vl(md5_x8_state&, const unsigned char* const[8], unsigned,
                            std::size_t) noexcept {
    std::abort();
}
void md5_blocks_x16_avx2(md5_x8_state (&)[2], const unsigned char* const[16], unsigned,
                         std::size_t) noexcept {
    std::abort();
}
void md5_blocks_x16_avx512vl(md5_x8_state (&)[2], const unsigned char* const[16], unsigned,
                             std::size_t) noexcept {
    std::abort();
}
#endif

digest md5_multi::finish(std::size_t lane) {
    if (lane >= lanes)
        throw std::out_of_range("md5_multi: no such lane");
    auto& l = lanes_[lane];
    // RFC 1321 3.1-3.2: a 1 bit, zeros up to 56 bytes past a block boundary, the length in bits.
    unsigned char tail[128] = {};
    std::memcpy(tail, l.pending.data(), l.pending_size);
    tail[l.pending_size] = 0x80;
    const std::size_t tail_size = l.pending_size < 56 ? 64 : 128;
    const std::uint64_t bits = l.length * 8;
    for (std::size_t i = 0; i < 8; ++i)
        tail[tail_size - 8 + i] = static_cast<unsigned char>(bits >> (8 * i));
    md5_blocks_scalar(l.h, tail, tail_size / 64);
    digest d;
    d.size = 16;
    for (std::size_t i = 0; i < 16; ++i)
        d.bytes[i] = static_cast<unsigned char>(l.h[i / 4] >> (8 * (i % 4)));
    reset(lane);
    return d;
}

} // namespace ascpp::upload::detail
