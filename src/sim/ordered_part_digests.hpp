// The digests of a part that arrives in file order: its own MD5 (the ETag) and the whole-file
// MD5 and SHA-256, computed on the hash pool one chunk behind the connection's reads, so the
// connection's thread only decrypts while another core hashes. Without this an upload sent in
// file order cost the simulator one thread per part for everything, while a shuffled one (its
// parts spooled and digested later on the hash pool) got two.
#pragma once

#include "encoding.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace ascpp::sim {

class ordered_part_digests {
public:
    ordered_part_digests(boost::asio::thread_pool& pool, std::size_t chunk_size, digest file_md5,
                         digest file_sha256);

    // Where the next chunk is to be read: never the chunk the pool may still be hashing.
    std::span<unsigned char> next_buffer();
    // The first `n` bytes of next_buffer() were read: they wait for the next hash() call.
    void filled(std::size_t n);
    bool has_unhashed() const;
    // Hashes the bytes filled() last on the pool. Await it beside the next chunk's read, and once
    // more after the last; at most one runs at a time.
    boost::asio::awaitable<void> hash();

    // After the last hash(): the part's MD5 and the file digests extended by the part.
    const digest& part_md5() const;
    digest& file_md5();
    digest& file_sha256();

private:
    // Shared with the pool's job, so a connection closed mid-hash leaves it valid.
    struct state;
    std::shared_ptr<state> state_;
};

} // namespace ascpp::sim
