// The MD5 of every part, computed on the hashing pool instead of the io thread that sends them.
// Parts are independent, so the pass reads up to md5_multi::lanes of them side by side and
// hashes them together (eight AVX2 lanes do about as much as eight cores of serial MD5). The
// sender compares the host's ETag with the part's MD5 when the part is acknowledged; it waits
// only if the pass is behind.
#pragma once

#include <ascpp/upload/detail/wait_queue.hpp>
#include <ascpp/upload/hasher.hpp>

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <mutex>
#include <vector>

namespace ascpp::upload::detail {

class part_hash_pass {
public:
    struct part {
        std::uint64_t offset = 0;
        std::uint64_t length = 0;
        bool needed = true; // false: known already (a resumed part), not read
    };

    // `parts` in offset order. `max_lead`: how far past the send frontier (the lowest byte not
    // yet acknowledged) a lane may read, so the bytes stay in the page cache for their send.
    part_hash_pass(std::filesystem::path path, std::vector<part> parts, std::uint64_t max_lead,
                   std::size_t chunk_size = 256 * 1024);

    // Reads and hashes every needed part; run it on a strand of hashing_executor(). Throws
    // upload_error (file_error, file_changed) or operation_aborted when cancelled; waiters of
    // md5() then get the same error.
    asio::awaitable<void> run();

    // Thread-safe. Moves the send frontier forward (never back) and wakes a parked pass.
    void set_frontier(std::uint64_t offset);

    // The MD5 of part `index` (in the order given), once the pass has it. Thread-safe.
    asio::awaitable<digest> md5(std::size_t index);

private:
    bool may_read_at(std::uint64_t pos) const noexcept;
    void publish(std::size_t index, const digest& d);
    void fail(std::exception_ptr e);

    std::filesystem::path path_;
    std::vector<part> parts_;
    std::uint64_t max_lead_;
    std::size_t chunk_size_;
    std::atomic<std::uint64_t> frontier_{0};
    wait_queue wake_;

    mutable std::mutex mutex_;
    std::vector<digest> digests_;
    std::vector<bool> ready_;
    std::exception_ptr failure_;
    wait_queue done_;
};

} // namespace ascpp::upload::detail
