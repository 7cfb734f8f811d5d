// Upload progress: bytes sent and parts done, per file and in total, reported to one observer.
//
// One progress_tracker can follow many files (a publish, a batch); every upload given the same
// tracker adds its file. Updating is a few atomic additions and one observer call with a
// struct on the stack: no allocation, cheap enough for every chunk written to a socket.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace ascpp::upload {

struct file_progress {
    std::size_t index = 0;        // order in which the file was added to the tracker
    std::string_view name;        // valid during the observer call
    std::uint64_t bytes_sent = 0; // of the current attempts; goes back when a part is retried
    std::uint64_t bytes_total = 0;
    std::size_t parts_done = 0;
    std::size_t parts_total = 0;
    bool finished = false; // committed
};

struct progress {
    file_progress file; // the file this update is about
    std::uint64_t total_bytes_sent = 0;
    std::uint64_t total_bytes = 0;
    std::size_t total_parts_done = 0;
    std::size_t total_parts = 0;
    std::size_t files_finished = 0;
    std::size_t files_total = 0;
};

// Called after every change, never concurrently with itself (calls are serialised), possibly
// from different threads. Keep it quick: it runs on the thread that moved the bytes.
using progress_observer = std::function<void(const progress&)>;

class progress_tracker {
public:
    explicit progress_tracker(progress_observer observer = {});
    progress_tracker(const progress_tracker&) = delete;
    progress_tracker& operator=(const progress_tracker&) = delete;

    // Adds a file; `bytes_done`/`parts_done` count what an earlier run already sent (resume).
    // Returns the file's index.
    std::size_t add_file(std::string name, std::uint64_t bytes_total, std::size_t parts_total,
                         std::uint64_t bytes_done = 0, std::size_t parts_done = 0);
    void add_bytes(std::size_t file, std::int64_t delta);
    void part_done(std::size_t file);
    void file_finished(std::size_t file);

    progress snapshot(std::size_t file) const;
    // Totals only (file is empty).
    progress totals() const;

private:
    struct entry {
        std::string name;
        std::uint64_t bytes_total = 0;
        std::size_t parts_total = 0;
        std::atomic<std::int64_t> bytes_sent{0};
        std::atomic<std::size_t> parts_done{0};
        std::atomic<bool> finished{false};
    };
    void notify(std::size_t file);
    progress make(const entry* e, std::size_t index) const;
    entry& at(std::size_t file) const;

    progress_observer observer_;
    mutable std::mutex files_mutex_;  // guards the deque's shape (add_file)
    mutable std::deque<entry> files_; // stable addresses
    std::mutex observer_mutex_;
    std::atomic<std::int64_t> bytes_sent_{0};
    std::atomic<std::uint64_t> bytes_total_{0};
    std::atomic<std::size_t> parts_done_{0};
    std::atomic<std::size_t> parts_total_{0};
    std::atomic<std::size_t> files_finished_{0};
    std::atomic<std::size_t> files_total_{0};
};

} // namespace ascpp::upload
