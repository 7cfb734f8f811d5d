// The bytes the part hasher read, kept for the file checksum pass and for the sends of the parts,
// so that the file is read once for the part MD5s, the file checksum and the upload.
//
// The part hasher reads up to sixteen parts side by side (its MD5 lanes), ahead of their sends; the
// file checksum needs the file front to back. A shelf per upload sits between them: every chunk the
// part hasher reads of that upload's file is offered to it and kept (the buffer itself, not a
// copy) for whoever still wants it: the pass, when the chunk is ahead of its position, and the
// send of its part, when the send has not gone past it. The pass takes chunks in file order; a
// send takes the chunk at the offset it is about to send (http::file_range::held), and a chunk a
// send went past without taking is dropped. What is kept is bounded process-wide (shelf_budget):
// over it, a chunk is not kept, and the pass or the send reads those bytes from the file itself,
// as they do the bytes of parts that need no MD5 (resumed ones). Thread-safe.
#pragma once

#include "../detail/read_buffer.hpp"

#include <ascpp/detail/wait_queue.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace ascpp::upload::detail {

// A chunk buffer of the part hasher (chunk_bytes long); recycled (read_buffer.hpp), so a kept
// chunk costs no allocation in the steady state.
using chunk_buffer = ascpp::detail::read_buffer;
inline constexpr std::size_t chunk_bytes = 256 * 1024;
chunk_buffer make_chunk_buffer();

// How many bytes all shelves together may keep. With eight parts of 5 MiB hashed side by side,
// the pass took the first part's chunks at once and the next seven's later, while the lanes went
// on to the next eight: at 24 MiB the pass still read 38 % of a 512 MiB file itself, at 40 MiB
// none of it (publish --force at concurrency 8, 2026-12-01). With sixteen lanes, 40 MiB no longer
// holds every part in them and some sends read their bytes again, but 80 MiB saved nothing
// measurable: 1 GiB and 64 x 16 MiB at concurrency 1 and 8, three alternated runs each, client
// CPU s/GiB 2.27/1.96/2.54/2.14 at 40 MiB against 2.47/1.95/2.35/2.01 at 80 (2026-12-02). Peak
// memory of an upload grows by about this much (21 to 56 MiB resident).
inline constexpr std::size_t shelf_budget = 40 * 1024 * 1024;

class read_shelf {
public:
    struct range {
        std::uint64_t offset = 0, length = 0;
    };
    // `parts`: the parts whose MD5 the part hasher will be asked for, in offset order. `pass`:
    // a file checksum pass will take chunks (next()); `sends`: the parts' sends will (take()).
    read_shelf(const std::vector<range>& parts, bool pass, bool sends);
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
        std::shared_ptr<const void> hold; // keeps `bytes` alive; set when there are bytes
        std::span<const unsigned char> bytes;
        bool wait = false;
        std::uint64_t read_until = 0;
    };
    step next(std::uint64_t pos);
    // Whether next(pos) would not say wait (for arrivals().async_wait_unless).
    bool ready(std::uint64_t pos);
    ascpp::detail::wait_queue& arrivals() noexcept { return arrivals_; }

    // A send, about to send at most `max` bytes at file offset `offset`: the chunk the part
    // hasher read there, when kept (its bytes, at most `max`, alive while `hold` is), or nothing:
    // the send reads those bytes itself. Either way the send has gone past them: chunks of its
    // part before its position are dropped, and bytes offered later behind it are not kept for it.
    struct held {
        std::shared_ptr<const void> hold;
        std::span<const unsigned char> bytes;
    };
    held take(std::uint64_t offset, std::size_t max);

    // Bytes the pass took off the shelf so far, and bytes sends took (for tests and figures).
    std::uint64_t bytes_taken() const;
    std::uint64_t bytes_sent_from_shelf() const;

private:
    struct part {
        std::uint64_t begin;
        std::uint64_t next; // the next byte the part hasher will offer
        std::uint64_t end;
        std::uint64_t send_pos; // the send has gone past the bytes before it
    };
    struct chunk; // a buffer kept for the pass, a send or both; its bytes count in the budget
    struct kept {
        std::shared_ptr<chunk> bytes;
        std::size_t skip = 0; // bytes at the buffer's front the pass no longer wants
        std::size_t size = 0;
    };
    bool waiting_at(std::uint64_t pos) const;
    part* part_at(std::uint64_t offset);

    const bool pass_, sends_;
    mutable std::mutex mutex_;
    std::map<std::uint64_t, part> parts_; // by offset
    std::map<std::uint64_t, kept> kept_;  // for the pass, by file position of
                                          // their first wanted byte
    std::map<std::uint64_t, std::shared_ptr<chunk>> sends_kept_; // for the sends, by offset
    std::uint64_t pass_pos_ = 0;                                 // bytes before it are hashed
    std::uint64_t taken_ = 0, sent_ = 0;
    ascpp::detail::wait_queue arrivals_;
};

} // namespace ascpp::upload::detail
