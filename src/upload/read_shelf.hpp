// The bytes the part hasher read, kept for the file checksum pass so that the file is read once
// for both checksums instead of twice.
//
// The part hasher reads eight parts side by side (its AVX2 lanes); the file checksum needs the
// file front to back. A shelf per upload sits between them: every chunk the part hasher reads of
// that upload's file is offered to it, the chunk at the pass's position is taken at once, and a
// chunk ahead of it is kept (the buffer itself, not a copy) until the pass gets there. What is
// kept is bounded process-wide (shelf_budget): over it, a chunk is not kept and the pass reads
// those bytes from the file itself, as it does the bytes of parts that need no MD5 (resumed
// ones). Thread-safe.
#pragma once

#include <ascpp/detail/wait_queue.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace ascpp::upload::detail {

// A chunk buffer of the part hasher (chunk_bytes long), recycled through a small process-wide
// free list so a kept chunk costs no allocation in the steady state.
struct chunk_buffer_free {
    void operator()(unsigned char* p) const noexcept;
};
using chunk_buffer = std::unique_ptr<unsigned char[], chunk_buffer_free>;
inline constexpr std::size_t chunk_bytes = 256 * 1024;
chunk_buffer make_chunk_buffer();

// How many bytes all shelves together may keep. With eight parts of 5 MiB hashed side by side,
// the pass takes the first part's chunks at once and the next seven's later, while the lanes go
// on to the next eight: at 24 MiB the pass still read 38 % of a 512 MiB file itself, at 40 MiB
// none of it (publish --force at concurrency 8, 2026-12-01). Peak memory of such an upload grows
// by about this much (21 to 56 MiB resident); a publish that compared checksums first hashed the
// file before the upload and uses no shelf.
inline constexpr std::size_t shelf_budget = 40 * 1024 * 1024;

class read_shelf {
public:
    struct range {
        std::uint64_t offset = 0, length = 0;
    };
    // `parts`: the parts whose MD5 the part hasher will be asked for, in offset order.
    explicit read_shelf(const std::vector<range>& parts);
    ~read_shelf();
    read_shelf(const read_shelf&) = delete;
    read_shelf& operator=(const read_shelf&) = delete;

    // Part hasher: it read `size` bytes at `offset` of the file into `buffer` (the part at
    // `part_offset` is being hashed in order). Takes the buffer when the pass will want those
    // bytes and the budget allows; `buffer` is then null and the caller needs a new one.
    void offer(std::uint64_t part_offset, std::uint64_t offset, chunk_buffer& buffer,
               std::size_t size);
    // Part hasher: the part at `part_offset` will offer nothing more (it could not be read).
    void withdraw(std::uint64_t part_offset);

    // The pass, at file position `pos`: either bytes to hash (taken off the shelf), or `wait`
    // (the part hasher will offer them: wait on arrivals()), or neither: read the file itself
    // from pos up to `read_until` (exclusive; no limit when 0).
    struct step {
        chunk_buffer buffer;
        std::span<const unsigned char> bytes;
        bool wait = false;
        std::uint64_t read_until = 0;
    };
    step next(std::uint64_t pos);
    // Whether next(pos) would not say wait (for arrivals().async_wait_unless).
    bool ready(std::uint64_t pos);
    ascpp::detail::wait_queue& arrivals() noexcept { return arrivals_; }

    // Bytes the pass took off the shelf so far (for tests and the docs' figures).
    std::uint64_t bytes_taken() const;

private:
    struct part {
        std::uint64_t next; // the next byte the part hasher will offer
        std::uint64_t end;
    };
    struct kept {
        chunk_buffer buffer;
        std::size_t skip = 0; // bytes at the buffer's front the pass no longer wants
        std::size_t size = 0;
    };
    bool waiting_at(std::uint64_t pos) const;
    void release(std::size_t size) noexcept;

    mutable std::mutex mutex_;
    std::map<std::uint64_t, part> parts_; // by offset
    std::map<std::uint64_t, kept> kept_;  // by file position of their first wanted byte
    std::uint64_t pass_pos_ = 0;          // bytes before it are hashed
    std::size_t kept_bytes_ = 0;
    std::uint64_t taken_ = 0;
    ascpp::detail::wait_queue arrivals_;
};

} // namespace ascpp::upload::detail
