// Internal to ascpp::http: a file-range request body, read in chunks without an io_context thread
// ever waiting on a disk.
//
// Bytes the program already holds (file_range::held: the part hasher's chunks) are sent as they
// are, not read again. A chunk in the page cache is read where the send runs: handing every chunk
// to another thread cost 10 % more CPU per byte (two wake-ups, and the bytes encrypted on another
// core than the one that read them; 512 MiB publishes, 2026-12-01). Only a read that would wait
// goes to the blocking pool: preadv2(RWF_NOWAIT) says which, and memory file systems (tmpfs) never
// wait. A file system that cannot say has every chunk read on the pool.
#pragma once

#include "connection.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace ascpp::http::detail {

class body_reader {
public:
    // `ex` runs the coroutine that calls next(), one handler at a time (the connection's
    // strand). Throws attempt_error (file_error) if the descriptor cannot be duplicated.
    body_reader(const file_source& file, std::size_t chunk_size, asio::any_io_executor ex);
    body_reader(const body_reader&) = delete;
    body_reader& operator=(const body_reader&) = delete;
    ~body_reader();

    // The next chunk of the range, in order, valid until the next call; empty after the last.
    // Throws attempt_error: file_error (unreadable, or shorter than the range), cancelled.
    asio::awaitable<std::span<const unsigned char>> next();

private:
    struct state;
    // Reads what it can of [at, at + size) into the buffer without waiting; returns how much.
    std::size_t read_without_waiting(std::uint64_t at, std::size_t size);

    // Shared with a read on the pool, which may outlive the send that asked for it.
    std::shared_ptr<state> state_;
    const std::function<held_bytes(std::uint64_t, std::size_t)>* held_ = nullptr;
    std::shared_ptr<const void> holding_; // the held bytes last handed out
    std::uint64_t sent_ = 0;              // bytes of the range handed out
    bool pool_only_ = false;              // the file system cannot read without waiting
    bool in_memory_ = false;              // tmpfs, ramfs: a read never waits on a disk
};

} // namespace ascpp::http::detail
