// MD5's per-step constants (RFC 1321, 3.4), shared by the scalar and the vector kernels so that all
// unroll the same 64 steps from one table.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ascpp::upload::detail::md5_rounds {

// floor(abs(sin(i + 1)) * 2^32).
inline constexpr std::uint32_t k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

inline constexpr int shifts[4][4] = {
    {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

inline constexpr std::uint32_t initial[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

// The message word step i adds.
constexpr std::size_t word(std::size_t i) {
    switch (i / 16) {
    case 0:
        return i;
    case 1:
        return (5 * i + 1) % 16;
    case 2:
        return (3 * i + 5) % 16;
    default:
        return (7 * i) % 16;
    }
}

constexpr int shift(std::size_t i) {
    return shifts[i / 16][i % 4];
}

// Step i updates the state word that step 0 calls `a`, then the one it calls `d`, `c`, `b`: the
// four names rotate instead of the values, so these are the indices of a, b, c, d at step i.
constexpr std::size_t a_of(std::size_t i) {
    return (4 - i % 4) % 4;
}
constexpr std::size_t b_of(std::size_t i) {
    return (5 - i % 4) % 4;
}
constexpr std::size_t c_of(std::size_t i) {
    return (6 - i % 4) % 4;
}
constexpr std::size_t d_of(std::size_t i) {
    return (7 - i % 4) % 4;
}

} // namespace ascpp::upload::detail::md5_rounds
