// The whole-file checksum, computed front to back on the hashing pool while the parts are being
// sent (see docs/library.md, "Upload a file": why a sequential pass and not the send path). With a
// read_shelf, the bytes the part hasher read for the part MD5s come off the shelf, and the pass
// reads from the file only what the shelf does not hold.
#pragma once

#include "read_shelf.hpp"

#include <ascpp/detail/blocking.hpp>
#include <ascpp/detail/wait_queue.hpp>
#include <ascpp/upload/hasher.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace ascpp::upload::detail {

class file_hash_pass {
public:
    // `max_lead`: how far the pass may read ahead of the send frontier (the lowest byte not yet
    // sent), so the bytes it reads are still in the page cache when their part is sent (or were
    // just sent), and each byte is read from the disk once.
    file_hash_pass(std::filesystem::path path, std::uint64_t size, hash_algorithm algorithm,
                   std::uint64_t max_lead, std::size_t block_size = 1024 * 1024,
                   std::shared_ptr<read_shelf> shelf = nullptr);

    // Reads and hashes the whole file; run it on a strand of blocking_pool(). Throws
    // upload_error (file_error, file_changed) or operation_aborted when cancelled.
    asio::awaitable<digest> run();

    // Thread-safe. Moves the send frontier forward (never back) and wakes a parked pass.
    void set_frontier(std::uint64_t offset);
    std::uint64_t position() const noexcept { return position_.load(); }
    // Bytes the pass read from the file itself (the rest came off the shelf).
    std::uint64_t bytes_read() const noexcept { return read_.load(); }

private:
    bool may_read_at(std::uint64_t pos) const noexcept;

    std::filesystem::path path_;
    std::uint64_t size_;
    hash_algorithm algorithm_;
    std::uint64_t max_lead_;
    std::size_t block_size_;
    std::atomic<std::uint64_t> frontier_{0};
    std::atomic<std::uint64_t> position_{0};
    std::atomic<std::uint64_t> read_{0};
    std::shared_ptr<read_shelf> shelf_;
    ascpp::detail::wait_queue wake_;
};

} // namespace ascpp::upload::detail
