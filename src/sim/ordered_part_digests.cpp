#include "ordered_part_digests.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <utility>

namespace ascpp::sim {

namespace asio = boost::asio;

struct ordered_part_digests::state {
    state(asio::thread_pool& pool, std::size_t chunk_size, digest md5, digest sha)
        : pool(pool), file_md5(std::move(md5)), file_sha256(std::move(sha)) {
        for (auto& b : buffers)
            b.resize(chunk_size);
    }
    asio::thread_pool& pool;
    std::array<std::vector<unsigned char>, 2> buffers;
    std::size_t next = 0;     // the buffer the next read fills
    std::size_t unhashed = 0; // bytes in the other buffer not yet hashed
    digest part_md5{digest::algorithm::md5};
    digest file_md5, file_sha256;
};

ordered_part_digests::ordered_part_digests(asio::thread_pool& pool, std::size_t chunk_size,
                                           digest file_md5, digest file_sha256)
    : state_(
          std::make_shared<state>(pool, chunk_size, std::move(file_md5), std::move(file_sha256))) {}

std::span<unsigned char> ordered_part_digests::next_buffer() {
    return state_->buffers[state_->next];
}

void ordered_part_digests::filled(std::size_t n) {
    state_->unhashed = n;
    state_->next ^= 1;
}

bool ordered_part_digests::has_unhashed() const {
    return state_->unhashed != 0;
}

asio::awaitable<void> ordered_part_digests::hash() {
    auto s = state_;
    const std::span<const unsigned char> bytes(s->buffers[s->next ^ 1].data(), s->unhashed);
    s->unhashed = 0;
    if (bytes.empty())
        co_return;
    // Named, not written inside the co_await: GCC 12 destroys the captures of a lambda temporary
    // in a co_await expression twice.
    auto job = [s, bytes]() -> asio::awaitable<void> {
        s->part_md5.update(bytes);
        s->file_md5.update(bytes);
        s->file_sha256.update(bytes);
        co_return;
    };
    // Not cancellable: the bytes are the part's, and the connection awaits the job before it
    // reuses the buffer or reads the digests.
    co_await asio::co_spawn(
        s->pool, std::move(job),
        asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

const digest& ordered_part_digests::part_md5() const {
    return state_->part_md5;
}

digest& ordered_part_digests::file_md5() {
    return state_->file_md5;
}

digest& ordered_part_digests::file_sha256() {
    return state_->file_sha256;
}

} // namespace ascpp::sim
