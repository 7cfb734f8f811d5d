// Internal: buffers that file reads go into (src/http/read_buffer.cpp).
//
// Aligned to 64 bytes at least: the kernel copies a file into a buffer 16 bytes off a cache line
// (where malloc puts large blocks) 3x slower than into an aligned one (0.55 against 0.17 CPU
// s/GiB from tmpfs here, 2026-12-01). Not zeroed, and recycled: zeroing a buffer that a read
// then overwrites is pure cost (256 files of 1 MiB spent about as long on it as on their part
// MD5s, 2026-12-02). Cut from 2 MiB blocks that the kernel is asked to back with huge pages:
// an upload touches 40-60 MiB of buffers, and a first touch of 64 MiB cost 240 ms of CPU in
// 4 KiB pages on this VM (3.7 us a page fault) against 6 ms in 2 MiB pages (2026-12-02).
#pragma once

#include <cstddef>
#include <memory>

namespace ascpp::detail {

struct read_buffer_release {
    std::size_t size = 0;
    // Returns the buffer to the pool (or to the system, above the pool's idle bound).
    void operator()(unsigned char* p) const noexcept;
};
using read_buffer = std::unique_ptr<unsigned char[], read_buffer_release>;

// `size` bytes of undefined content. Throws std::bad_alloc.
read_buffer make_read_buffer(std::size_t size);

// Returns every wholly idle block to the system (for tests that need a known starting point).
void free_idle_read_buffers() noexcept;
// Bytes of the blocks mapped that no buffer holds (for tests).
std::size_t idle_read_buffer_bytes() noexcept;

} // namespace ascpp::detail
