// Internal: buffers that file reads go into (src/http/read_buffer.cpp).
//
// 64-byte aligned: the kernel copies a file into a buffer 16 bytes off a cache line (where malloc
// puts large blocks) 3x slower than into an aligned one (0.55 against 0.17 CPU s/GiB from tmpfs
// here, 2026-12-01). Not zeroed, and recycled: a fresh large block is zeroed by the kernel as its
// pages fault in, and zeroing a buffer that a read then overwrites is pure cost. 256 files of
// 1 MiB spent about as long on that as on their part MD5s (2026-12-02).
#pragma once

#include <cstddef>
#include <memory>

namespace ascpp::detail {

struct read_buffer_release {
    std::size_t size = 0;
    // Keeps the buffer for the next make_read_buffer of its size while few are idle.
    void operator()(unsigned char* p) const noexcept;
};
using read_buffer = std::unique_ptr<unsigned char[], read_buffer_release>;

// `size` bytes of undefined content. Throws std::bad_alloc.
read_buffer make_read_buffer(std::size_t size);

// Frees the idle buffers (for tests that need a known starting point).
void free_idle_read_buffers() noexcept;

} // namespace ascpp::detail
