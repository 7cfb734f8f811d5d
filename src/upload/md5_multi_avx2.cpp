// The eight-lane MD5 kernel for AVX2. Only this file is compiled with -mavx2: md5_multi calls it
// after checking the CPU, and nothing else may contain AVX2 instructions. Elsewhere than x86-64
// with GCC or Clang it is empty, and md5_multi.cpp defines the kernel as unreachable.
#if defined(__x86_64__) && defined(__GNUC__)

#ifndef __AVX2__
#error "md5_multi_avx2.cpp must be compiled with -mavx2"
#endif

#include "md5_x8_kernel.hpp"

void ascpp::upload::detail::md5_blocks_x8_avx2(md5_x8_state& s, const unsigned char* const data[8],
                                               unsigned active, std::size_t blocks) noexcept {
    md5_blocks_x8(s, data, active, blocks);
}

#endif
