#include "read_shelf.hpp"

#include <ascpp/detail/blocking.hpp>

#include <algorithm>
#include <atomic>
#include <new>

namespace ascpp::upload::detail {

namespace {

// Cache-line aligned: the kernel copies a file into a buffer 16 bytes off a cache line (where
// malloc puts large blocks) 3x slower than into an aligned one (0.55 against 0.17 CPU s/GiB from
// tmpfs here, 2026-12-01).
constexpr std::align_val_t chunk_alignment{64};

// A few idle buffers, so the part hasher replacing a kept chunk's buffer does not allocate.
constexpr std::size_t free_buffers_max = 16;
std::mutex free_mutex;
std::vector<unsigned char*>& free_buffers() {
    static auto* list = new std::vector<unsigned char*>; // never destroyed: used until exit
    return *list;
}

// Bytes kept by every shelf of the process.
std::atomic<std::size_t> kept_total{0};

bool reserve(std::size_t size) noexcept {
    auto cur = kept_total.load();
    do {
        if (cur + size > shelf_budget)
            return false;
    } while (!kept_total.compare_exchange_weak(cur, cur + size));
    return true;
}

} // namespace

void chunk_buffer_free::operator()(unsigned char* p) const noexcept {
    {
        std::lock_guard lock(free_mutex);
        auto& list = free_buffers();
        if (list.size() < free_buffers_max) {
            list.push_back(p);
            return;
        }
    }
    ::operator delete[](p, chunk_alignment);
}

chunk_buffer make_chunk_buffer() {
    {
        std::lock_guard lock(free_mutex);
        auto& list = free_buffers();
        if (!list.empty()) {
            auto* p = list.back();
            list.pop_back();
            return chunk_buffer(p);
        }
    }
    return chunk_buffer(
        static_cast<unsigned char*>(::operator new[](chunk_bytes, chunk_alignment)));
}

read_shelf::read_shelf(const std::vector<range>& parts)
    : arrivals_(ascpp::detail::blocking_pool()) {
    for (const auto& r : parts)
        if (r.length)
            parts_.emplace(r.offset, part{r.offset, r.offset + r.length});
}

read_shelf::~read_shelf() {
    kept_total -= kept_bytes_;
}

void read_shelf::release(std::size_t size) noexcept {
    kept_bytes_ -= size;
    kept_total -= size;
}

void read_shelf::offer(std::uint64_t part_offset, std::uint64_t offset, chunk_buffer& buffer,
                       std::size_t size) {
    {
        std::lock_guard lock(mutex_);
        auto it = parts_.find(part_offset);
        // Not the next bytes of a part the pass waits for: a part hashed again (after an ETag
        // mismatch) offers what the pass has already hashed or reads itself.
        if (it == parts_.end() || offset != it->second.next || size == 0)
            return;
        it->second.next = offset + size;
        if (offset + size > pass_pos_) {
            const std::size_t skip =
                pass_pos_ > offset ? static_cast<std::size_t>(pass_pos_ - offset) : 0;
            const std::size_t keep = size - skip;
            if (reserve(keep)) {
                kept_bytes_ += keep;
                kept_.emplace(offset + skip, kept{std::move(buffer), skip, keep});
            }
        }
    }
    arrivals_.notify_all();
}

void read_shelf::withdraw(std::uint64_t part_offset) {
    {
        std::lock_guard lock(mutex_);
        auto it = parts_.find(part_offset);
        if (it != parts_.end())
            it->second.next = it->second.end;
    }
    arrivals_.notify_all();
}

bool read_shelf::waiting_at(std::uint64_t pos) const {
    auto it = parts_.upper_bound(pos);
    if (it == parts_.begin())
        return false;
    --it;
    return pos < it->second.end && it->second.next <= pos;
}

bool read_shelf::ready(std::uint64_t pos) {
    std::lock_guard lock(mutex_);
    return kept_.count(pos) || !waiting_at(pos);
}

read_shelf::step read_shelf::next(std::uint64_t pos) {
    std::lock_guard lock(mutex_);
    pass_pos_ = std::max(pass_pos_, pos);
    // Chunks behind the pass (none in practice: the pass never skips a part's next byte).
    while (!kept_.empty() && kept_.begin()->first < pos) {
        release(kept_.begin()->second.size);
        kept_.erase(kept_.begin());
    }
    step s;
    if (auto it = kept_.find(pos); it != kept_.end()) {
        auto& k = it->second;
        s.bytes = {k.buffer.get() + k.skip, k.size};
        s.buffer = std::move(k.buffer);
        taken_ += k.size;
        release(k.size);
        kept_.erase(it);
        return s;
    }
    if (waiting_at(pos)) {
        s.wait = true;
        return s;
    }
    // Read up to the next byte that will come (or came) off the shelf.
    std::uint64_t until = 0;
    auto take_min = [&until](std::uint64_t at) { until = until ? std::min(until, at) : at; };
    if (auto k = kept_.upper_bound(pos); k != kept_.end())
        take_min(k->first);
    auto p = parts_.upper_bound(pos);
    if (p != parts_.end())
        take_min(p->first);
    if (p != parts_.begin()) {
        --p;
        if (pos < p->second.end && p->second.next < p->second.end)
            take_min(p->second.next);
    }
    s.read_until = until;
    return s;
}

std::uint64_t read_shelf::bytes_taken() const {
    std::lock_guard lock(mutex_);
    return taken_;
}

} // namespace ascpp::upload::detail
