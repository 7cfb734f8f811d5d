#include "part_md5s.hpp"

#include "md5_multi.hpp"
#include "read_only_file.hpp"

#include <ascpp/detail/blocking.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <deque>
#include <optional>
#include <span>
#include <vector>

namespace ascpp::upload::detail {

part_md5::part_md5(std::filesystem::path path, std::uint64_t offset, std::uint64_t length,
                   std::shared_ptr<read_shelf> shelf)
    : path_(std::move(path)), offset_(offset), length_(length), shelf_(std::move(shelf)),
      done_(ascpp::detail::blocking_pool()) {}

void part_md5::set(digest d) {
    {
        std::lock_guard lock(mutex_);
        digest_ = d;
        known_ = true;
    }
    done_.notify_all();
}

void part_md5::set_failure(std::exception_ptr e) {
    {
        std::lock_guard lock(mutex_);
        failure_ = e;
    }
    done_.notify_all();
}

asio::awaitable<digest> part_md5::get() {
    co_await done_.async_wait_unless(
        [this] {
            std::lock_guard lock(mutex_);
            return known_ || failure_;
        },
        asio::use_awaitable);
    std::lock_guard lock(mutex_);
    if (!known_)
        std::rethrow_exception(failure_);
    co_return digest_;
}

// Feeds md5_multi's lanes from a queue of parts. It runs while there are parts to hash and
// stops when the queue is empty; hash_part starts it again.
class part_md5_hasher {
public:
    static part_md5_hasher& instance() {
        // Never destroyed: a run may still be finishing on the pool while the process exits.
        static auto* hasher = new part_md5_hasher;
        return *hasher;
    }

    void add(std::shared_ptr<part_md5> part) {
        std::unique_lock lock(mutex_);
        queue_.push_back(std::move(part));
        start_locked(lock);
    }

    void add_for_idle_lanes(std::shared_ptr<part_md5> part) {
        std::lock_guard lock(mutex_);
        part->idle_lanes_only_ = true;
        idle_lane_queue_.push_back(std::move(part));
    }

    void promote(const std::shared_ptr<part_md5>& part) {
        std::unique_lock lock(mutex_);
        if (!release_idle_lane_part_locked(part))
            return;
        queue_.push_back(part);
        start_locked(lock);
    }

    void withdraw(const std::shared_ptr<part_md5>& part) {
        std::lock_guard lock(mutex_);
        release_idle_lane_part_locked(part);
    }

private:
    // Ends a part's wait for an idle lane; false if it was not waiting for one: asked for already,
    // or in a lane (the hasher finishes every lane it fed).
    bool release_idle_lane_part_locked(const std::shared_ptr<part_md5>& part) {
        if (!part->idle_lanes_only_)
            return false;
        part->idle_lanes_only_ = false;
        auto it = std::find(idle_lane_queue_.begin(), idle_lane_queue_.end(), part);
        if (it != idle_lane_queue_.end())
            idle_lane_queue_.erase(it);
        return true;
    }

    struct lane {
        std::shared_ptr<part_md5> part;
        std::optional<read_only_file> file;
        std::uint64_t pos = 0, end = 0;
        bool idle_lane_part = false; // taken from the idle-lane queue
        void clear() {
            part.reset();
            file.reset();
        }
        // A part that cannot be read offers nothing more: its upload's pass reads it itself.
        void fail(std::exception_ptr e) {
            if (part->shelf_)
                part->shelf_->withdraw(part->offset_);
            part->set_failure(e);
            clear();
        }
    };
    static constexpr std::size_t chunk_size = chunk_bytes;

    part_md5_hasher() : strand_(asio::make_strand(ascpp::detail::blocking_pool())) {}

    void start_locked(std::unique_lock<std::mutex>& lock) {
        const bool start = !running_;
        running_ = true;
        lock.unlock();
        if (start)
            asio::co_spawn(strand_, run(), asio::detached);
    }

    // The next queued part, or null; from the idle-lane queue only when `fill_idle` (a lane is
    // busy with a part asked for).
    std::pair<std::shared_ptr<part_md5>, bool> next(bool fill_idle) {
        std::lock_guard lock(mutex_);
        auto& q = !queue_.empty() ? queue_ : idle_lane_queue_;
        if (q.empty() || (&q == &idle_lane_queue_ && !fill_idle))
            return {nullptr, false};
        auto p = std::move(q.front());
        q.pop_front();
        const bool idle_lane_part = p->idle_lanes_only_;
        p->idle_lanes_only_ = false;
        return {std::move(p), idle_lane_part};
    }

    // Whether the hasher stops: nothing queued (checked under the lock add() takes, so a part
    // added meanwhile starts a new run).
    bool stop_if_idle() {
        std::lock_guard lock(mutex_);
        if (!queue_.empty())
            return false;
        running_ = false;
        return true;
    }

    static bool busy(const std::array<lane, md5_multi::lanes>& lanes) {
        return std::any_of(lanes.begin(), lanes.end(), [](const lane& l) { return l.part; });
    }

    asio::awaitable<void> run() {
        std::array<lane, md5_multi::lanes> lanes;
        std::exception_ptr failure;
        try {
            co_await hash_until_idle(lanes);
            co_return;
        } catch (...) {
            failure = std::current_exception();
        }
        // Something beyond one part's reading failed (an allocation): fail the parts taken and
        // those waiting, so no get() waits for ever, and let the next hash_part start afresh.
        for (auto& l : lanes)
            if (l.part)
                l.fail(failure);
        std::deque<std::shared_ptr<part_md5>> queued;
        {
            std::lock_guard lock(mutex_);
            queued.swap(queue_);
            running_ = false;
        }
        for (auto& p : queued) {
            if (p->shelf_)
                p->shelf_->withdraw(p->offset_);
            p->set_failure(failure);
        }
    }

    asio::awaitable<void> hash_until_idle(std::array<lane, md5_multi::lanes>& lanes) {
        md5_multi md5;
        // One buffer per lane: a chunk a shelf keeps takes its buffer along.
        std::array<chunk_buffer, md5_multi::lanes> buffers;
        for (auto& b : buffers)
            b = make_chunk_buffer();
        std::array<std::span<const unsigned char>, md5_multi::lanes> chunks{};
        for (;;) {
            bool asked_for = std::any_of(lanes.begin(), lanes.end(),
                                         [](const lane& l) { return l.part && !l.idle_lane_part; });
            for (std::size_t i = 0; i < lanes.size(); ++i)
                while (!lanes[i].part) {
                    auto [p, idle_lane_part] = next(asked_for);
                    if (!p)
                        break;
                    asked_for = asked_for || !idle_lane_part;
                    try {
                        lanes[i].file.emplace(p->path_);
                        lanes[i].idle_lane_part = idle_lane_part;
                        lanes[i].part = std::move(p);
                        lanes[i].pos = lanes[i].part->offset_;
                        lanes[i].end = lanes[i].pos + lanes[i].part->length_;
                    } catch (...) {
                        if (p->shelf_)
                            p->shelf_->withdraw(p->offset_);
                        p->set_failure(std::current_exception());
                    }
                }
            if (!busy(lanes)) {
                if (stop_if_idle())
                    co_return;
                continue;
            }
            for (std::size_t i = 0; i < lanes.size(); ++i) {
                auto& l = lanes[i];
                chunks[i] = {};
                if (!l.part)
                    continue;
                auto want =
                    static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, l.end - l.pos));
                std::span<unsigned char> into(buffers[i].get(), want);
                try {
                    l.file->read_at(into, l.pos);
                    chunks[i] = into;
                } catch (...) {
                    l.fail(std::current_exception());
                    md5.reset(i);
                }
            }
            md5.update(chunks);
            for (std::size_t i = 0; i < lanes.size(); ++i) {
                auto& l = lanes[i];
                if (!l.part)
                    continue;
                if (l.part->shelf_) {
                    l.part->shelf_->offer(l.part->offset_, l.pos, buffers[i], chunks[i].size());
                    if (!buffers[i])
                        buffers[i] = make_chunk_buffer();
                }
                l.pos += chunks[i].size();
                if (l.pos == l.end) {
                    l.part->set(md5.finish(i));
                    l.clear();
                }
            }
            // Let the other work on the pool (the file hash, journal writes) have a turn.
            co_await asio::post(strand_, asio::use_awaitable);
        }
    }

    asio::strand<asio::any_io_executor> strand_;
    std::mutex mutex_;
    std::deque<std::shared_ptr<part_md5>> queue_;
    std::deque<std::shared_ptr<part_md5>> idle_lane_queue_; // hash_part_in_idle_lanes
    bool running_ = false;
};

std::shared_ptr<part_md5> hash_part(std::filesystem::path path, std::uint64_t offset,
                                    std::uint64_t length, std::shared_ptr<read_shelf> shelf) {
    auto part = std::make_shared<part_md5>(std::move(path), offset, length, std::move(shelf));
    part_md5_hasher::instance().add(part);
    return part;
}

std::shared_ptr<part_md5> hash_part_in_idle_lanes(std::filesystem::path path, std::uint64_t offset,
                                                  std::uint64_t length,
                                                  std::shared_ptr<read_shelf> shelf) {
    auto part = std::make_shared<part_md5>(std::move(path), offset, length, std::move(shelf));
    part_md5_hasher::instance().add_for_idle_lanes(part);
    return part;
}

void promote(const std::shared_ptr<part_md5>& part) {
    part_md5_hasher::instance().promote(part);
}

void withdraw(const std::shared_ptr<part_md5>& part) {
    part_md5_hasher::instance().withdraw(part);
}

} // namespace ascpp::upload::detail
