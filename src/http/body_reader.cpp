#include "body_reader.hpp"
#include "../detail/read_buffer.hpp"
#include "read_response.hpp"

#include <ascpp/detail/blocking_pool.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>

namespace ascpp::http::detail {

using ascpp::detail::blocking_pool;

namespace {

attempt_error read_error(const std::string& display, std::uint64_t at, int error) {
    return {errc::file_error,
            "read " + display + " at byte " + std::to_string(at) + ": " + std::strerror(error),
            false};
}

attempt_error ends_early(const std::string& display, std::uint64_t at) {
    return {errc::file_error,
            "read " + display + ": the file ends at byte " + std::to_string(at) +
                ", inside the range",
            false};
}

} // namespace

struct body_reader::state {
    explicit state(asio::any_io_executor ex) : executor(ex), wake(ex) {
        wake.expires_at(clock::time_point::max());
    }
    ~state() {
        if (fd >= 0)
            ::close(fd);
    }

    // Reads exactly [at, at + size) into the buffer from `into`, waiting as long as it takes.
    void read_exactly(std::uint64_t at, std::size_t into, std::size_t size) {
        std::size_t got = 0;
        while (got < size) {
            ssize_t n = ::pread(fd, data.get() + into + got, size - got,
                                static_cast<off_t>(offset + at + got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                throw read_error(display, offset + at + got, errno);
            if (n == 0)
                throw ends_early(display, offset + at + got);
            got += static_cast<std::size_t>(n);
        }
    }

    asio::any_io_executor executor;
    asio::steady_timer wake; // cancelled when a read on the pool completes
    int fd = -1;             // a duplicate: the request may close its own while a read runs
    std::string display;
    std::uint64_t offset = 0, length = 0;
    // The chunk buffer (`size` bytes), made when the first chunk is read from the file: a body
    // whose chunks all come from held bytes never needs one.
    ascpp::detail::read_buffer data;
    std::size_t size = 0;
    // Set on `executor` when a read on the pool completes.
    bool pool_done = false;
    std::exception_ptr pool_failure;
};

body_reader::body_reader(const file_source& file, std::size_t chunk_size, asio::any_io_executor ex)
    : state_(std::make_shared<state>(ex)), held_(file.held) {
    auto& s = *state_;
    s.fd = ::fcntl(file.fd, F_DUPFD_CLOEXEC, 0);
    if (s.fd < 0)
        throw read_error(file.display, file.offset, errno);
    s.display = file.display;
    s.offset = file.offset;
    s.length = file.length;
    s.size = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, file.length));
    struct statfs fs {};
    if (::fstatfs(s.fd, &fs) == 0)
        in_memory_ = fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC;
}

body_reader::~body_reader() = default;

std::size_t body_reader::read_without_waiting(std::uint64_t at, std::size_t size) {
    auto& s = *state_;
    if (in_memory_) {
        s.read_exactly(at, 0, size);
        return size;
    }
    std::size_t got = 0;
    while (got < size && !pool_only_) {
        iovec into{s.data.get() + got, size - got};
        ssize_t n = ::preadv2(s.fd, &into, 1, static_cast<off_t>(s.offset + at + got), RWF_NOWAIT);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
        } else if (n == 0) {
            throw ends_early(s.display, s.offset + at + got);
        } else if (errno == EAGAIN) {
            break;
        } else if (errno == EOPNOTSUPP) {
            pool_only_ = true;
        } else if (errno != EINTR) {
            throw read_error(s.display, s.offset + at + got, errno);
        }
    }
    return got;
}

asio::awaitable<std::span<const unsigned char>> body_reader::next() {
    auto& s = *state_;
    if (sent_ == s.length)
        co_return std::span<const unsigned char>{};
    const auto size = static_cast<std::size_t>(std::min<std::uint64_t>(s.size, s.length - sent_));
    holding_.reset();
    if (held_) {
        held_bytes h = (*held_)(s.offset + sent_, size);
        if (h.hold && !h.bytes.empty() && h.bytes.size() <= size) {
            holding_ = std::move(h.hold);
            sent_ += h.bytes.size();
            co_return h.bytes;
        }
    }
    if (!s.data)
        s.data = ascpp::detail::make_read_buffer(s.size);
    const std::size_t got = read_without_waiting(sent_, size);
    if (got < size) {
        // The rest would wait on the disk: the pool reads it, and this send waits for that.
        s.pool_done = false;
        s.pool_failure = nullptr;
        asio::post(blocking_pool(), [st = state_, at = sent_ + got, into = got, rest = size - got] {
            std::exception_ptr failure;
            try {
                st->read_exactly(at, into, rest);
            } catch (...) {
                failure = std::current_exception();
            }
            asio::post(st->executor, [st, failure] {
                st->pool_done = true;
                st->pool_failure = failure;
                st->wake.cancel();
            });
        });
        while (!s.pool_done) {
            boost::system::error_code ec;
            co_await s.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (!s.pool_done && is_cancelled(co_await asio::this_coro::cancellation_state))
                throw attempt_error(errc::cancelled,
                                    "read " + s.display + ": cancelled by the caller", false);
        }
        if (s.pool_failure)
            std::rethrow_exception(s.pool_failure);
    }
    sent_ += size;
    co_return std::span<const unsigned char>(s.data.get(), size);
}

} // namespace ascpp::http::detail
