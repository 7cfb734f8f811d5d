// The MD5 kernels' body, eight lanes a group and one or two groups at once, for the files that
// build it for one instruction set each (md5_multi_avx2.cpp, md5_multi_avx512.cpp): the same 64
// steps, with AVX-512VL's one-instruction rotate and three-input logic where the including file is
// built for them. Everything here has
// internal linkage, so no copy built for a wider instruction set can stand in for another file's.
#pragma once

#if !defined(__x86_64__) || !defined(__GNUC__) || !defined(__AVX2__)
#error "md5_x8_kernel.hpp is for files built with -mavx2 (or more) on x86-64"
#endif

#include "md5_multi.hpp"
#include "md5_rounds.hpp"

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace ascpp::upload::detail {

namespace {

namespace r = md5_rounds;

// The kernel's helpers must dissolve into one loop body, whatever the optimisation level: a call
// or a rolled loop in it costs more than a fifth of the speed.
#define ASCPP_INLINE inline __attribute__((always_inline))

// Each step's constant in all eight lanes, so that the step adds it straight from memory; built
// from immediates, each would cost a move, a transfer and a broadcast (see md5_blocks_x8).
struct broadcast_constants {
    alignas(32) std::uint32_t k[64][8];
};

constexpr broadcast_constants make_constants() {
    broadcast_constants c{};
    for (std::size_t i = 0; i < 64; ++i)
        for (std::size_t lane = 0; lane < 8; ++lane)
            c.k[i][lane] = r::k[i];
    return c;
}

constexpr broadcast_constants constants = make_constants();

template <int S>
ASCPP_INLINE __m256i rotl(__m256i x) noexcept {
#ifdef __AVX512VL__
    return _mm256_rol_epi32(x, S);
#else
    if constexpr (S == 16) {
        // One byte shuffle instead of two shifts and an or.
        const __m256i swap_halves =
            _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, //
                             2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
        return _mm256_shuffle_epi8(x, swap_halves);
    } else {
        return _mm256_or_si256(_mm256_slli_epi32(x, S), _mm256_srli_epi32(x, 32 - S));
    }
#endif
}

// Rows in[i] (eight 32-bit words of lane i) become columns: out[j] holds word j of every lane.
ASCPP_INLINE void transpose(const __m256i (&in)[8], __m256i* out) noexcept {
    // Pairs of lanes interleaved by word, then by pairs of words, then the 128-bit halves swapped.
    __m256i t[8], u[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(in[i], in[i + 1]);     // words 0 1 | 4 5 of lanes i, i+1
        t[i + 1] = _mm256_unpackhi_epi32(in[i], in[i + 1]); // words 2 3 | 6 7
    }
#pragma GCC unroll 8
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);         // word 0 | 4 of lanes i..i+3
        u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);     // word 1 | 5
        u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]); // word 2 | 6
        u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]); // word 3 | 7
    }
#pragma GCC unroll 8
    for (int j = 0; j < 4; ++j) {
        out[j] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x20);
        out[j + 4] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x31);
    }
}

template <std::size_t I>
ASCPP_INLINE void step(__m256i (&v)[4], const __m256i (&x)[16], const __m256i* k) noexcept {
    // Constants, not calls: at -O0 a call would emit a copy of an inline function built for this
    // file's instruction set that the linker may then pick for the baseline code too.
    constexpr std::size_t ia = r::a_of(I), ib = r::b_of(I), ic = r::c_of(I), id = r::d_of(I);
    constexpr std::size_t w = r::word(I);
    __m256i& a = v[ia];
    const __m256i b = v[ib], c = v[ic], d = v[id];
    // The terms that do not depend on b, the previous step's result, are summed first so that the
    // chain from one step to the next stays short.
    __m256i t = _mm256_add_epi32(a, _mm256_add_epi32(x[w], _mm256_load_si256(k + I)));
#ifdef __AVX512VL__
    // Each round's function as one three-input lookup: bit i of the immediate is the function's
    // value where b, c, d have the bits of i (b the highest), e.g. F: 0xf0 & 0xcc | ~0xf0 & 0xaa.
    constexpr int table = I < 16 ? 0xca : I < 32 ? 0xe4 : I < 48 ? 0x96 : 0x39;
    t = _mm256_add_epi32(t, _mm256_ternarylogic_epi32(b, c, d, table));
#else
    if constexpr (I < 16) {
        t = _mm256_add_epi32(t, _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d))));
    } else if constexpr (I < 32) {
        // (b & d) | (c & ~d): the two terms share no bits, so they can be added instead.
        t = _mm256_add_epi32(t, _mm256_andnot_si256(d, c));
        t = _mm256_add_epi32(t, _mm256_and_si256(d, b));
    } else if constexpr (I < 48) {
        t = _mm256_add_epi32(t, _mm256_xor_si256(b, _mm256_xor_si256(c, d)));
    } else {
        const __m256i not_d = _mm256_xor_si256(d, _mm256_set1_epi32(-1));
        t = _mm256_add_epi32(t, _mm256_xor_si256(c, _mm256_or_si256(b, not_d)));
    }
#endif
    a = _mm256_add_epi32(b, rotl<r::shift(I)>(t));
}

// Step I for every group of eight lanes: the groups' chains are independent, so the second
// group's step runs in the latency of the first's (one group alone leaves most of the vector
// units waiting on the step before: two groups hash 1.5-1.9 times as many bytes a second).
template <std::size_t I, std::size_t G>
ASCPP_INLINE void step_groups(__m256i (&v)[G][4], const __m256i (&x)[G][16],
                              const __m256i* k) noexcept {
    step<I>(v[0], x[0], k);
    if constexpr (G == 2)
        step<I>(v[1], x[1], k);
}

template <std::size_t G, std::size_t... I>
ASCPP_INLINE void steps(__m256i (&v)[G][4], const __m256i (&x)[G][16], const __m256i* k,
                        std::index_sequence<I...>) noexcept {
    (step_groups<I, G>(v, x, k), ...);
}

// The contract of md5_blocks_x8_avx2 (G = 1) and md5_blocks_x16_avx2 (G = 2), md5_multi.hpp:
// group g holds lanes 8g to 8g + 7.
template <std::size_t G>
ASCPP_INLINE void md5_blocks_groups(md5_x8_state* s, const unsigned char* const* data,
                                    unsigned active, std::size_t blocks) noexcept {
    static_assert(G == 1 || G == 2);
    const __m256i* k = reinterpret_cast<const __m256i*>(constants.k);
    // Hides the table's contents from the optimiser, which would otherwise fold each load back
    // into a constant built from immediates.
    asm("" : "+r"(k));
    const unsigned char* p[8 * G];
    std::size_t stride[8 * G];
    for (std::size_t i = 0; i < 8 * G; ++i) {
        p[i] = data[i];
        stride[i] = active >> i & 1 ? 64 : 0;
    }
    __m256i v[G][4];
    for (std::size_t g = 0; g < G; ++g) {
        v[g][0] = _mm256_load_si256(reinterpret_cast<const __m256i*>(s[g].a));
        v[g][1] = _mm256_load_si256(reinterpret_cast<const __m256i*>(s[g].b));
        v[g][2] = _mm256_load_si256(reinterpret_cast<const __m256i*>(s[g].c));
        v[g][3] = _mm256_load_si256(reinterpret_cast<const __m256i*>(s[g].d));
    }
    for (; blocks > 0; --blocks) {
        __m256i x[G][16], saved[G][4];
#pragma GCC unroll 2
        for (std::size_t g = 0; g < G; ++g) {
            __m256i low[8], high[8];
#pragma GCC unroll 8
            for (std::size_t i = 0; i < 8; ++i) {
                const std::size_t lane = 8 * g + i;
                low[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p[lane]));
                high[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p[lane] + 32));
                p[lane] += stride[lane];
            }
            transpose(low, x[g]);
            transpose(high, x[g] + 8);
#pragma GCC unroll 4
            for (std::size_t i = 0; i < 4; ++i)
                saved[g][i] = v[g][i];
        }
        steps<G>(v, x, k, std::make_index_sequence<64>{});
#pragma GCC unroll 2
        for (std::size_t g = 0; g < G; ++g)
#pragma GCC unroll 4
            for (std::size_t i = 0; i < 4; ++i)
                v[g][i] = _mm256_add_epi32(v[g][i], saved[g][i]);
    }
    for (std::size_t g = 0; g < G; ++g) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(s[g].a), v[g][0]);
        _mm256_store_si256(reinterpret_cast<__m256i*>(s[g].b), v[g][1]);
        _mm256_store_si256(reinterpret_cast<__m256i*>(s[g].c), v[g][2]);
        _mm256_store_si256(reinterpret_cast<__m256i*>(s[g].d), v[g][3]);
    }
}

#undef ASCPP_INLINE

} // namespace

} // namespace ascpp::upload::detail

// Defines md5_blocks_x8_<isa> and md5_blocks_x16_<isa> (md5_multi.hpp) with this file's kernel,
// built for the including file's instruction set.
#define ASCPP_MD5_KERNELS(isa)                                                                     \
    void ascpp::upload::detail::md5_blocks_x8_##isa(                                               \
        md5_x8_state& s, const unsigned char* const data[8], unsigned active,                      \
        std::size_t blocks) noexcept {                                                             \
        md5_blocks_groups<1>(&s, data, active, blocks);                                            \
    }                                                                                              \
    void ascpp::upload::detail::md5_blocks_x16_##isa(                                              \
        md5_x8_state(&s)[2], const unsigned char* const data[16], unsigned active,                 \
        std::size_t blocks) noexcept {                                                             \
        md5_blocks_groups<2>(s, data, active, blocks);                                             \
    }
