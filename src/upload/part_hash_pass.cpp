#include "part_hash_pass.hpp"

#include "md5_multi.hpp"
#include "read_only_file.hpp"

#include <ascpp/upload/detail/blocking.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <span>

namespace ascpp::upload::detail {

part_hash_pass::part_hash_pass(std::filesystem::path path, std::vector<part> parts,
                               std::uint64_t max_lead, std::size_t chunk_size)
    : path_(std::move(path)), parts_(std::move(parts)),
      max_lead_(std::max<std::uint64_t>(max_lead, chunk_size)), chunk_size_(chunk_size),
      wake_(hashing_executor()), digests_(parts_.size()), ready_(parts_.size(), false),
      done_(hashing_executor()) {
    for (std::size_t i = 0; i < parts_.size(); ++i)
        if (!parts_[i].needed)
            ready_[i] = true;
}

bool part_hash_pass::may_read_at(std::uint64_t pos) const noexcept {
    return pos < frontier_.load() + max_lead_;
}

void part_hash_pass::set_frontier(std::uint64_t offset) {
    auto cur = frontier_.load();
    while (offset > cur && !frontier_.compare_exchange_weak(cur, offset)) {
    }
    wake_.notify_all();
}

void part_hash_pass::publish(std::size_t index, const digest& d) {
    {
        std::lock_guard lock(mutex_);
        digests_[index] = d;
        ready_[index] = true;
    }
    done_.notify_all();
}

void part_hash_pass::fail(std::exception_ptr e) {
    {
        std::lock_guard lock(mutex_);
        failure_ = e;
    }
    done_.notify_all();
}

asio::awaitable<digest> part_hash_pass::md5(std::size_t index) {
    auto known = [this, index] {
        std::lock_guard lock(mutex_);
        return ready_[index] || failure_;
    };
    // notify_all wakes every waiter whichever part was published: look again after each wake.
    while (!known())
        co_await done_.async_wait_unless(known, asio::use_awaitable);
    std::lock_guard lock(mutex_);
    if (!ready_[index])
        std::rethrow_exception(failure_);
    co_return digests_[index];
}

asio::awaitable<void> part_hash_pass::run() {
    try {
        read_only_file file(path_);
        md5_multi md5;
        constexpr std::size_t lanes = md5_multi::lanes;
        constexpr std::size_t idle = std::numeric_limits<std::size_t>::max();
        struct lane {
            std::size_t part = idle;
            std::uint64_t pos = 0;
            std::uint64_t end = 0;
        };
        std::array<lane, lanes> lane_of{};
        std::vector<unsigned char> buffer(lanes * chunk_size_);
        std::array<std::span<const unsigned char>, lanes> chunks{};
        std::size_t next = 0;
        auto ex = co_await asio::this_coro::executor;
        for (;;) {
            // Idle lanes take the next needed parts, in offset order like the sends.
            for (auto& l : lane_of) {
                while (l.part == idle && next < parts_.size()) {
                    if (parts_[next].needed && parts_[next].length == 0)
                        publish(next, md5_of(std::span<const unsigned char>{}));
                    else if (parts_[next].needed)
                        l = {next, parts_[next].offset, parts_[next].offset + parts_[next].length};
                    ++next;
                }
            }
            bool active = false, readable = false;
            std::uint64_t lowest = std::numeric_limits<std::uint64_t>::max();
            for (const auto& l : lane_of)
                if (l.part != idle) {
                    active = true;
                    readable = readable || may_read_at(l.pos);
                    lowest = std::min(lowest, l.pos);
                }
            if (!active)
                break;
            if (!readable) {
                // Every lane is too far ahead of the sends: park until the frontier moves.
                co_await wake_.async_wait_unless([this, lowest] { return may_read_at(lowest); },
                                                 asio::use_awaitable);
                continue;
            }
            for (std::size_t i = 0; i < lanes; ++i) {
                auto& l = lane_of[i];
                chunks[i] = {};
                if (l.part == idle || !may_read_at(l.pos))
                    continue;
                auto want =
                    static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size_, l.end - l.pos));
                std::span<unsigned char> into(buffer.data() + i * chunk_size_, want);
                file.read_at(into, l.pos);
                chunks[i] = into;
            }
            md5.update(chunks);
            for (std::size_t i = 0; i < lanes; ++i) {
                auto& l = lane_of[i];
                if (chunks[i].empty())
                    continue;
                l.pos += chunks[i].size();
                if (l.pos == l.end) {
                    publish(l.part, md5.finish(i));
                    l.part = idle;
                }
            }
            // Let the other passes on the pool have a turn between rounds (and notice
            // cancellation).
            co_await asio::post(ex, asio::use_awaitable);
        }
    } catch (...) {
        fail(std::current_exception());
        throw;
    }
}

} // namespace ascpp::upload::detail
