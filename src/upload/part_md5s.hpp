// The MD5 of each part, computed on the hashing pool instead of the io thread that sends it.
//
// A part's MD5 is asked for when its send starts, and the process-wide hasher reads and hashes
// up to md5_multi::lanes parts side by side, whichever uploads they belong to: eight AVX2 lanes
// do about as much as eight cores of serial MD5, and a batch of small files fills the lanes as
// well as one big file does. The parts in flight are the ones being sent, so what the hasher
// reads is in the page cache already. The sender compares the host's ETag with the MD5 when the
// part is acknowledged, waiting only if the hasher is behind, and keeps its limiter permit until
// then: the hasher's backlog stays within the limiter's bound.
#pragma once

#include <ascpp/upload/detail/wait_queue.hpp>
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
    part_md5(std::filesystem::path path, std::uint64_t offset, std::uint64_t length);

    // The MD5 once computed. Throws upload_error (file_error, file_changed) when the part could
    // not be read, operation_aborted when the caller is cancelled.
    asio::awaitable<digest> get();

private:
    friend class part_md5_hasher;
    void set(digest d);
    void set_failure(std::exception_ptr e);

    const std::filesystem::path path_;
    const std::uint64_t offset_;
    const std::uint64_t length_;
    std::mutex mutex_;
    bool known_ = false;
    digest digest_;
    std::exception_ptr failure_;
    wait_queue done_;
};

// Starts hashing bytes [offset, offset + length) of `path` on the process-wide hasher.
std::shared_ptr<part_md5> hash_part(std::filesystem::path path, std::uint64_t offset,
                                    std::uint64_t length);

} // namespace ascpp::upload::detail
