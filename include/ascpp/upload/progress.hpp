// Upload progress: bytes confirmed and parts done, per file and in total, reported to one
// observer.
//
// `bytes_done` counts the bytes of parts the upload host acknowledged (and parts an earlier run
// sent): it never goes back, so it is what a progress bar should show. Bytes of attempts still
// under way are `bytes_in_flight`; when an attempt fails they leave it and are added to
// `bytes_resent`, the cost of retries.
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
    std::size_t index = 0;             // order in which the file was added to the tracker
    std::string_view name;             // valid during the observer call
    std::uint64_t bytes_done = 0;      // acknowledged parts; never decreases
    std::uint64_t bytes_in_flight = 0; // written for attempts not yet acknowledged
    std::uint64_t bytes_resent = 0;    // written for attempts that failed; never decreases
    std::uint64_t bytes_total = 0;
    std::size_t parts_done = 0;
    std::size_t parts_total = 0;
    bool finished = false; // committed
};

struct progress {
    file_progress file; // the file this update is about
    std::uint64_t total_bytes_done = 0;
    std::uint64_t total_bytes_in_flight = 0;
    std::uint64_t total_bytes_resent = 0;
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
    // An attempt at a part wrote `n` more bytes.
    void add_in_flight(std::size_t file, std::uint64_t n);
    // An attempt that had written `written` bytes failed; the part will be sent again.
    void attempt_failed(std::size_t file, std::uint64_t written);
    // The host acknowledged a part of `part_bytes` whose attempt had written `written` bytes.
    void part_done(std::size_t file, std::uint64_t part_bytes, std::uint64_t written);
    void file_finished(std::size_t file);

    progress snapshot(std::size_t file) const;
    // Totals only (file is empty).
    progress totals() const;

private:
    struct entry {
        std::string name;
        std::uint64_t bytes_total = 0;
        std::size_t parts_total = 0;
        std::atomic<std::uint64_t> bytes_done{0};
        std::atomic<std::uint64_t> bytes_in_flight{0};
        std::atomic<std::uint64_t> bytes_resent{0};
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
    std::atomic<std::uint64_t> bytes_done_{0};
    std::atomic<std::uint64_t> bytes_in_flight_{0};
    std::atomic<std::uint64_t> bytes_resent_{0};
    std::atomic<std::uint64_t> bytes_total_{0};
    std::atomic<std::size_t> parts_done_{0};
    std::atomic<std::size_t> parts_total_{0};
    std::atomic<std::size_t> files_finished_{0};
    std::atomic<std::size_t> files_total_{0};
};

} // namespace ascpp::upload
