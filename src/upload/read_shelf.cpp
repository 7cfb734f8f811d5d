#include "read_shelf.hpp"

#include <ascpp/detail/blocking.hpp>

#include <algorithm>
#include <atomic>

namespace ascpp::upload::detail {

namespace {

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

chunk_buffer make_chunk_buffer() {
    return ascpp::detail::make_read_buffer(chunk_bytes);
}

struct read_shelf::chunk {
    chunk(chunk_buffer b, std::size_t n) : buffer(std::move(b)), size(n) {}
    chunk(const chunk&) = delete;
    chunk& operator=(const chunk&) = delete;
    // A send may still hold it after its shelf is gone: the budget is the process's.
    ~chunk() { kept_total -= size; }
    chunk_buffer buffer;
    std::size_t size;
};

read_shelf::read_shelf(const std::vector<range>& parts, bool pass, bool sends)
    : pass_(pass), sends_(sends), arrivals_(ascpp::detail::blocking_pool()) {
    for (const auto& r : parts)
        if (r.length)
            parts_.emplace(r.offset, part{r.offset, r.offset, r.offset + r.length, r.offset});
}

read_shelf::~read_shelf() = default;

read_shelf::part* read_shelf::part_at(std::uint64_t offset) {
    auto it = parts_.upper_bound(offset);
    if (it == parts_.begin())
        return nullptr;
    --it;
    return offset < it->second.end ? &it->second : nullptr;
}

void read_shelf::offer(std::uint64_t part_offset, std::uint64_t offset, chunk_buffer& buffer,
                       std::size_t size) {
    {
        std::lock_guard lock(mutex_);
        auto it = parts_.find(part_offset);
        if (it == parts_.end() || size == 0)
            return;
        auto& p = it->second;
        // Only the next bytes of a part go to the pass: a part hashed again (after an ETag
        // mismatch) offers what the pass has already hashed or reads itself. Its send, sent
        // again, does want them: they are the bytes just hashed.
        const bool in_order = offset == p.next;
        if (in_order)
            p.next = offset + size;
        const bool for_pass = pass_ && in_order && offset + size > pass_pos_;
        const bool for_send = sends_ && offset >= p.send_pos;
        if ((for_pass || for_send) && reserve(size)) {
            auto kept_chunk = std::make_shared<chunk>(std::move(buffer), size);
            if (for_pass) {
                const std::size_t skip =
                    pass_pos_ > offset ? static_cast<std::size_t>(pass_pos_ - offset) : 0;
                kept_.insert_or_assign(offset + skip, kept{kept_chunk, skip, size - skip});
            }
            if (for_send)
                sends_kept_.insert_or_assign(offset, std::move(kept_chunk));
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
    while (!kept_.empty() && kept_.begin()->first < pos)
        kept_.erase(kept_.begin());
    step s;
    if (auto it = kept_.find(pos); it != kept_.end()) {
        auto& k = it->second;
        s.bytes = {k.bytes->buffer.get() + k.skip, k.size};
        s.hold = std::move(k.bytes);
        taken_ += k.size;
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

read_shelf::held read_shelf::take(std::uint64_t offset, std::size_t max) {
    held h;
    std::lock_guard lock(mutex_);
    auto* p = part_at(offset);
    if (!p || max == 0)
        return h;
    // What the send went past is of no use to it any more; a send started again from an earlier
    // offset still finds what was kept ahead of it.
    sends_kept_.erase(sends_kept_.lower_bound(p->begin), sends_kept_.lower_bound(offset));
    if (auto at = sends_kept_.find(offset); at != sends_kept_.end() && at->second->size <= max) {
        h.bytes = {at->second->buffer.get(), at->second->size};
        h.hold = std::move(at->second);
        sends_kept_.erase(at);
    }
    p->send_pos = std::min(offset + (h.hold ? h.bytes.size() : max), p->end);
    if (!h.hold) // the send reads these bytes from the file itself
        sends_kept_.erase(sends_kept_.lower_bound(offset), sends_kept_.lower_bound(p->send_pos));
    sent_ += h.bytes.size();
    return h;
}

std::uint64_t read_shelf::bytes_taken() const {
    std::lock_guard lock(mutex_);
    return taken_;
}

std::uint64_t read_shelf::bytes_sent_from_shelf() const {
    std::lock_guard lock(mutex_);
    return sent_;
}

} // namespace ascpp::upload::detail
