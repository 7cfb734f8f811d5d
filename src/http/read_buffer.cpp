#include "../detail/read_buffer.hpp"

#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace ascpp::detail {

namespace {

constexpr std::align_val_t alignment{64};

// Idle buffers kept for reuse: enough for the part hasher's sixteen lane buffers and a few
// sends' chunks and file checksum blocks. The count bound keeps the search short when the
// buffers are small (the chunks of small parts).
constexpr std::size_t idle_bytes_max = 8 * 1024 * 1024;
constexpr std::size_t idle_buffers_max = 64;

struct idle_list {
    std::mutex mutex;
    std::vector<std::pair<std::size_t, unsigned char*>> buffers;
    std::size_t bytes = 0;
};

idle_list& idle() {
    static auto* list = new idle_list; // never destroyed: buffers are released until exit
    return *list;
}

} // namespace

void read_buffer_release::operator()(unsigned char* p) const noexcept {
    auto& list = idle();
    {
        std::lock_guard lock(list.mutex);
        if (list.bytes + size <= idle_bytes_max && list.buffers.size() < idle_buffers_max) {
            try {
                list.buffers.emplace_back(size, p);
                list.bytes += size;
                return;
            } catch (const std::bad_alloc&) {
                // Not kept: freed below.
            }
        }
    }
    ::operator delete[](p, alignment);
}

read_buffer make_read_buffer(std::size_t size) {
    auto& list = idle();
    {
        std::lock_guard lock(list.mutex);
        for (auto it = list.buffers.rbegin(); it != list.buffers.rend(); ++it)
            if (it->first == size) {
                auto* p = it->second;
                list.buffers.erase(std::next(it).base());
                list.bytes -= size;
                return read_buffer(p, read_buffer_release{size});
            }
    }
    return read_buffer(static_cast<unsigned char*>(::operator new[](size, alignment)),
                       read_buffer_release{size});
}

void free_idle_read_buffers() noexcept {
    auto& list = idle();
    std::lock_guard lock(list.mutex);
    for (auto& [size, p] : list.buffers)
        ::operator delete[](p, alignment);
    list.buffers.clear();
    list.bytes = 0;
}

} // namespace ascpp::detail
