#include "../detail/read_buffer.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ASCPP_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define ASCPP_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ASCPP_POISON(p, n) ((void)(p), (void)(n))
#define ASCPP_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace ascpp::detail {

namespace {

constexpr std::size_t block_bytes = 2 * 1024 * 1024; // one huge page on x86-64 and arm64
// Buffer sizes are rounded up to a class: 256 KiB (the chunks of the part hasher, the shelf and
// the sends), 512 KiB, 1 MiB (the file checksum pass's blocks) or a whole block. Larger buffers
// are plain allocations.
constexpr std::array<std::size_t, 4> class_bytes{256 * 1024, 512 * 1024, 1024 * 1024, block_bytes};
// Idle bytes the pool keeps: a block whose buffers are all idle goes back to the system above it.
constexpr std::size_t idle_bytes_max = 8 * 1024 * 1024;
constexpr std::align_val_t large_alignment{64};

struct block {
    unsigned char* base;
    std::size_t class_index;
    std::size_t idle; // buffers of this block in the idle list
};

struct pool {
    std::mutex mutex;
    std::vector<block> blocks;
    std::array<std::vector<unsigned char*>, class_bytes.size()> idle;
    std::size_t idle_bytes = 0;

    block& block_of(unsigned char* p) {
        auto base = reinterpret_cast<std::uintptr_t>(p) & ~(block_bytes - 1);
        return *std::find_if(blocks.begin(), blocks.end(), [base](const block& b) {
            return reinterpret_cast<std::uintptr_t>(b.base) == base;
        });
    }

    // Maps a block aligned to its size and asks for huge pages (a hint: without them it still
    // works, in small pages).
    static unsigned char* map_block() {
        void* p = ::mmap(nullptr, 2 * block_bytes, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            throw std::bad_alloc();
        auto start = reinterpret_cast<std::uintptr_t>(p);
        auto aligned = (start + block_bytes - 1) & ~(block_bytes - 1);
        if (aligned > start)
            ::munmap(p, aligned - start);
        if (auto tail = start + 2 * block_bytes - (aligned + block_bytes))
            ::munmap(reinterpret_cast<void*>(aligned + block_bytes), tail);
        auto* base = reinterpret_cast<unsigned char*>(aligned);
#ifdef MADV_HUGEPAGE
        ::madvise(base, block_bytes, MADV_HUGEPAGE);
#endif
        return base;
    }

    unsigned char* take(std::size_t c) {
        const std::size_t size = class_bytes[c], per_block = block_bytes / size;
        auto& list = idle[c];
        if (list.empty()) {
            // Room for every buffer of the class to be idle at once, so give_back cannot throw.
            const auto mapped = std::count_if(blocks.begin(), blocks.end(),
                                              [c](const block& b) { return b.class_index == c; });
            blocks.reserve(blocks.size() + 1);
            list.reserve((static_cast<std::size_t>(mapped) + 1) * per_block);
            auto* base = map_block();
            ASCPP_POISON(base, block_bytes);
            blocks.push_back(block{base, c, per_block});
            for (std::size_t off = block_bytes; off > 0; off -= size)
                list.push_back(base + off - size);
            idle_bytes += block_bytes;
        }
        auto* p = list.back();
        list.pop_back();
        --block_of(p).idle;
        idle_bytes -= size;
        ASCPP_UNPOISON(p, size);
        return p;
    }

    void give_back(unsigned char* p, std::size_t c) noexcept {
        const std::size_t size = class_bytes[c];
        ASCPP_POISON(p, size);
        auto& b = block_of(p);
        idle[c].push_back(p); // within the capacity take() reserved
        ++b.idle;
        idle_bytes += size;
        if (b.idle == block_bytes / size && idle_bytes > idle_bytes_max)
            unmap(b);
    }

    void unmap(block& b) noexcept {
        auto& list = idle[b.class_index];
        list.erase(std::remove_if(
                       list.begin(), list.end(),
                       [&b](unsigned char* p) { return p >= b.base && p < b.base + block_bytes; }),
                   list.end());
        idle_bytes -= block_bytes;
        // Unpoisoned before unmapping: a later mapping at these addresses must not inherit it.
        ASCPP_UNPOISON(b.base, block_bytes);
        ::munmap(b.base, block_bytes);
        b = blocks.back();
        blocks.pop_back();
    }
};

pool& the_pool() {
    static auto* p = new pool; // never destroyed: buffers are released until exit
    return *p;
}

std::size_t class_of(std::size_t size) {
    for (std::size_t c = 0; c < class_bytes.size(); ++c)
        if (size <= class_bytes[c])
            return c;
    return class_bytes.size();
}

} // namespace

void read_buffer_release::operator()(unsigned char* p) const noexcept {
    const auto c = class_of(size);
    if (c == class_bytes.size()) {
        ::operator delete[](p, large_alignment);
        return;
    }
    auto& pl = the_pool();
    std::lock_guard lock(pl.mutex);
    pl.give_back(p, c);
}

read_buffer make_read_buffer(std::size_t size) {
    const auto c = class_of(size);
    if (c == class_bytes.size())
        return read_buffer(static_cast<unsigned char*>(::operator new[](size, large_alignment)),
                           read_buffer_release{size});
    auto& pl = the_pool();
    std::lock_guard lock(pl.mutex);
    return read_buffer(pl.take(c), read_buffer_release{size});
}

void free_idle_read_buffers() noexcept {
    auto& pl = the_pool();
    std::lock_guard lock(pl.mutex);
    for (std::size_t i = pl.blocks.size(); i-- > 0;) {
        auto& b = pl.blocks[i];
        if (b.idle == block_bytes / class_bytes[b.class_index])
            pl.unmap(b);
    }
}

std::size_t idle_read_buffer_bytes() noexcept {
    auto& pl = the_pool();
    std::lock_guard lock(pl.mutex);
    return pl.idle_bytes;
}

} // namespace ascpp::detail
