// The MD5 kernels for AVX-512VL: the AVX2 kernels' 256-bit registers, with a rotate in one
// instruction instead of three and each round's function in one instead of two to four (about
// 40 % fewer instructions a step). Only this file is compiled with -mavx512vl: md5_multi calls it
// after checking the CPU. Elsewhere than x86-64 with GCC or Clang it is empty, as the AVX2 one.
#if defined(__x86_64__) && defined(__GNUC__)

#ifndef __AVX512VL__
#error "md5_multi_avx512.cpp must be compiled with -mavx512vl"
#endif

#include "md5_x8_kernel.hpp"

namespace ascpp::upload::detail {

void md5_blocks_x8_avx512vl(md5_x8_state& s, const unsigned char* const data[8], unsigned active,
                            std::size_t blocks) noexcept {
    md5_blocks_groups<1>(&s, data, active, blocks);
}

void md5_blocks_x16_avx512vl(md5_x8_state (&s)[2], const unsigned char* const data[16],
                             unsigned active, std::size_t blocks) noexcept {
    md5_blocks_groups<2>(s, data, active, blocks);
}

} // namespace ascpp::upload::detail

#endif
