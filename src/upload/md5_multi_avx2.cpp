// The MD5 kernels for AVX2 (eight lanes, or sixteen in two groups). Only this file is compiled
// with -mavx2: md5_multi calls it after checking the CPU, and nothing else may contain AVX2
// instructions. Elsewhere than x86-64 with GCC or Clang it is empty, and md5_multi.cpp defines
// the kernels as unreachable.
#if defined(__x86_64__) && defined(__GNUC__)

#ifndef __AVX2__
#error "md5_multi_avx2.cpp must be compiled with -mavx2"
#endif

#include "md5_x8_kernel.hpp"

namespace ascpp::upload::detail {

void md5_blocks_x8_avx2(md5_x8_state& s, const unsigned char* const data[8], unsigned active,
                        std::size_t blocks) noexcept {
    md5_blocks_groups<1>(&s, data, active, blocks);
}

void md5_blocks_x16_avx2(md5_x8_state (&s)[2], const unsigned char* const data[16], unsigned active,
                         std::size_t blocks) noexcept {
    md5_blocks_groups<2>(s, data, active, blocks);
}

} // namespace ascpp::upload::detail

#endif
