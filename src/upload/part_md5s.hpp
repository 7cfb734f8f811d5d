// The MD5 of each part, computed on the hashing pool instead of the io thread that sends it.
//
// A part's MD5 is asked for when its send starts, together with the next parts of its upload
// (parts_hashed_together), and the process-wide hasher reads and hashes up to md5_multi::lanes
// parts side by side, whichever uploads they belong to: sixteen lanes (two groups of eight in
// AVX2 registers) do about as much as five to seven cores of serial MD5, and a batch of small
// files fills the lanes as well as one big file does. The parts hashed are being sent or about to
// be, so what the hasher reads stays in the page cache for the sends. The sender compares the
// host's ETag with the MD5 when the part is acknowledged, waiting only if the hasher is behind.
#pragma once

#include "read_shelf.hpp"

#include <ascpp/detail/wait_queue.hpp>
#include <ascpp/upload/hasher.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>

namespace ascpp::upload::detail {

// One part's MD5, under way or known. Thread-safe.
class part_md5 {
public:
    part_md5(std::filesystem::path path, std::uint64_t offset, std::uint64_t length,
             std::shared_ptr<read_shelf> shelf = nullptr);

    // The MD5 once computed. Throws upload_error (file_error, file_changed) when the part could
    // not be read, operation_aborted when the caller is cancelled.
    asio::awaitable<digest> get();

private:
    friend class part_md5_hasher;
    bool idle_lanes_only_ = false; // waiting in the hasher's idle-lane queue (its lock)
    void set(digest d);
    void set_failure(std::exception_ptr e);

    const std::filesystem::path path_;
    const std::uint64_t offset_;
    const std::uint64_t length_;
    const std::shared_ptr<read_shelf> shelf_; // offered every chunk read, when set
    std::mutex mutex_;
    bool known_ = false;
    digest digest_;
    std::exception_ptr failure_;
    ascpp::detail::wait_queue done_;
};

// How many parts of one upload are handed to the hasher together. A part asked for alone would
// often be hashed alone (the hasher is faster than the sends), by the serial kernel or by lanes
// of which one is fed; asking for the next parts with it keeps the lanes full even at
// concurrency 1.
inline constexpr std::size_t parts_hashed_together = 16;

// Starts hashing bytes [offset, offset + length) of `path` on the process-wide hasher. With a
// shelf, the chunks read are offered to it (the part's send and the file checksum pass take them).
std::shared_ptr<part_md5> hash_part(std::filesystem::path path, std::uint64_t offset,
                                    std::uint64_t length,
                                    std::shared_ptr<read_shelf> shelf = nullptr);

// The same for a part whose send has not begun (its upload waits for the limiter): the hasher
// takes it only into lanes it would otherwise leave idle beside parts asked for with hash_part.
// The lanes cost about the same however many are fed, so uploads started together (a batch
// sharing a limiter) fill them with each other's parts instead of leaving most of them empty,
// and nothing is read ahead while the hasher has nothing else to do. promote() makes it a part
// like the others once its send begins.
std::shared_ptr<part_md5> hash_part_in_idle_lanes(std::filesystem::path path, std::uint64_t offset,
                                                  std::uint64_t length,
                                                  std::shared_ptr<read_shelf> shelf = nullptr);
void promote(const std::shared_ptr<part_md5>& part);
// Takes back a part still waiting for idle lanes (its upload ended before its send began).
void withdraw(const std::shared_ptr<part_md5>& part);

} // namespace ascpp::upload::detail
