// The MD5 kernels for AVX2 (eight lanes, or sixteen in two groups). Only this file is compiled
// with -mavx2: md5_multi calls it after checking the CPU, and nothing else may contain AVX2
// instructions. Elsewhere than x86-64 with GCC or Clang it is empty, and md5_multi.cpp defines
// the kernels as unreachable.
#if defined(__x86_64__) && defined(__GNUC__)

#ifndef __AVX2__
#error "md5_multi_avx2.cpp must be compiled with -mavx2"
#endif

#include "md5_x8_kernel.hpp"

ASCPP_MD5_KERNELS(avx2)

#endif
