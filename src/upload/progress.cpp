#include <ascpp/upload/progress.hpp>

#include <stdexcept>

namespace ascpp::upload {

progress_tracker::progress_tracker(progress_observer observer) : observer_(std::move(observer)) {}

std::size_t progress_tracker::add_file(std::string name, std::uint64_t bytes_total,
                                       std::size_t parts_total, std::uint64_t bytes_done,
                                       std::size_t parts_done) {
    std::size_t index;
    {
        std::lock_guard lock(files_mutex_);
        index = files_.size();
        auto& e = files_.emplace_back();
        e.name = std::move(name);
        e.bytes_total = bytes_total;
        e.parts_total = parts_total;
        e.bytes_done = bytes_done;
        e.parts_done = parts_done;
    }
    bytes_total_ += bytes_total;
    parts_total_ += parts_total;
    bytes_done_ += bytes_done;
    parts_done_ += parts_done;
    ++files_total_;
    notify(index);
    return index;
}

progress_tracker::entry& progress_tracker::at(std::size_t file) const {
    std::lock_guard lock(files_mutex_);
    if (file >= files_.size())
        throw std::out_of_range("progress_tracker: no such file");
    return files_[file];
}

void progress_tracker::add_in_flight(std::size_t file, std::uint64_t n) {
    at(file).bytes_in_flight += n;
    bytes_in_flight_ += n;
    notify(file);
}

void progress_tracker::attempt_failed(std::size_t file, std::uint64_t written) {
    auto& e = at(file);
    e.bytes_in_flight -= written;
    e.bytes_resent += written;
    bytes_in_flight_ -= written;
    bytes_resent_ += written;
    notify(file);
}

void progress_tracker::part_done(std::size_t file, std::uint64_t part_bytes,
                                 std::uint64_t written) {
    auto& e = at(file);
    // Confirmed bytes first, so a concurrent snapshot may count a part twice for an instant but
    // never sees the sum go back.
    e.bytes_done += part_bytes;
    bytes_done_ += part_bytes;
    e.bytes_in_flight -= written;
    bytes_in_flight_ -= written;
    ++e.parts_done;
    ++parts_done_;
    notify(file);
}

void progress_tracker::file_finished(std::size_t file) {
    if (!at(file).finished.exchange(true))
        ++files_finished_;
    notify(file);
}

progress progress_tracker::make(const entry* e, std::size_t index) const {
    progress p;
    if (e) {
        p.file.index = index;
        p.file.name = e->name;
        p.file.bytes_done = e->bytes_done;
        p.file.bytes_in_flight = e->bytes_in_flight;
        p.file.bytes_resent = e->bytes_resent;
        p.file.bytes_total = e->bytes_total;
        p.file.parts_done = e->parts_done;
        p.file.parts_total = e->parts_total;
        p.file.finished = e->finished;
    }
    p.total_bytes_done = bytes_done_;
    p.total_bytes_in_flight = bytes_in_flight_;
    p.total_bytes_resent = bytes_resent_;
    p.total_bytes = bytes_total_;
    p.total_parts_done = parts_done_;
    p.total_parts = parts_total_;
    p.files_finished = files_finished_;
    p.files_total = files_total_;
    return p;
}

progress progress_tracker::snapshot(std::size_t file) const {
    return make(&at(file), file);
}

progress progress_tracker::totals() const {
    return make(nullptr, 0);
}

void progress_tracker::notify(std::size_t file) {
    if (!observer_)
        return;
    // The entry's address is stable (deque, never erased); the name is immutable after add.
    const entry* e = &at(file);
    std::lock_guard lock(observer_mutex_);
    observer_(make(e, file));
}

} // namespace ascpp::upload
