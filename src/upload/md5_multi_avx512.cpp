// The MD5 kernels for AVX-512VL: the AVX2 kernels' 256-bit registers, with a rotate in one
// instruction instead of three and each round's function in one instead of two to four (about
// 40 % fewer instructions a step). Only this file is compiled with -mavx512vl: md5_multi calls it
// after checking the CPU. Elsewhere than x86-64 with GCC or Clang it is empty, as the AVX2 one.
#if defined(__x86_64__) && defined(__GNUC__)

#ifndef __AVX512VL__
#error "md5_multi_avx512.cpp must be compiled with -mavx512vl"
#endif

#include "md5_x8_kernel.hpp"

ASCPP_MD5_KERNELS(avx512vl)

#endif
