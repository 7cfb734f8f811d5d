// Upload progress and waiting states on stderr: redrawn bars on a terminal, plain lines in logs,
// nothing with --quiet. Safe to feed from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::cli {

enum class progress_mode {
    bars,  // stderr is a terminal: bars redrawn in place
    lines, // stderr is a file or pipe: a line per 10% of a file and per state change
    quiet  // --quiet
};

progress_mode choose_progress_mode(bool quiet, bool stderr_is_terminal);
// Columns of the terminal on stderr, or 80 when unknown.
std::size_t terminal_width();
bool stderr_is_terminal();

using progress_clock = std::chrono::steady_clock;

// Transfer rate over a sliding window of recent samples, so the rate and ETA follow changes in
// throughput instead of averaging the whole run.
class rate_meter {
public:
    explicit rate_meter(std::chrono::milliseconds window = std::chrono::seconds(5))
        : window_(window) {}
    void add(progress_clock::time_point t, std::uint64_t total_bytes);
    // Bytes per second, or nullopt before there is enough history to say.
    std::optional<double> bytes_per_second() const;

private:
    std::chrono::milliseconds window_;
    std::deque<std::pair<progress_clock::time_point, std::uint64_t>> samples_;
};

// "85.3 MiB/s"; "-" when unknown.
std::string format_rate(std::optional<double> bytes_per_second);
// "ETA 1m05s", "ETA 4s", "ETA --" when unknown.
std::string format_eta(std::uint64_t remaining_bytes, std::optional<double> bytes_per_second);
// "[########------------]" of `width` characters including the brackets.
std::string render_bar(double fraction, std::size_t width);

struct file_progress {
    std::string name;
    std::uint64_t bytes_done = 0;
    std::uint64_t bytes_total = 0;
    std::size_t parts_done = 0;
    std::size_t parts_total = 0;
};

// One bar line, fitted to `width` columns:
// "Pack.aar  [#####-----]  45%  135 MiB / 300 MiB  85.3 MiB/s  ETA 2s"
std::string render_progress_line(const file_progress& p, std::optional<double> rate,
                                 std::size_t width, std::size_t name_width);

class progress_reporter {
public:
    progress_reporter(std::ostream& err, progress_mode mode, std::size_t width = 80,
                      std::function<progress_clock::time_point()> now = progress_clock::now);
    ~progress_reporter();
    progress_reporter(const progress_reporter&) = delete;
    progress_reporter& operator=(const progress_reporter&) = delete;

    progress_mode mode() const noexcept { return mode_; }

    // Latest figures for one file, identified by `key` (called often, cheap unless it redraws).
    void update(std::string_view key, const file_progress& p);
    // What is being waited for, e.g. "version 3: PROCESSING"; elapsed time is added.
    void state(std::string text);
    // The latest state() text, for messages such as "timed out (last: ...)".
    std::string current_state();
    // Redraws (elapsed time, rates) without new figures; call about once a second.
    void tick();
    // A line of its own that must not be overwritten by the bars (e.g. a retry notice).
    void message(std::string_view line);
    // Ends the display: bars are left as they are with a final newline, lines mode prints a
    // summary per file. Further updates are ignored.
    void finish();

private:
    struct tracked {
        std::string key;
        file_progress progress;
        rate_meter meter;
        int last_decile = -1;
        bool reported_done = false;
        progress_clock::time_point started;
    };
    tracked& find_or_add(std::string_view key);
    void redraw_locked(bool force);
    void clear_locked();
    void lines_for_file_locked(tracked& t);
    std::uint64_t total_done_locked() const;
    std::uint64_t total_size_locked() const;

    std::ostream& err_;
    progress_mode mode_;
    std::size_t width_;
    std::function<progress_clock::time_point()> now_;
    std::mutex mutex_;
    std::vector<tracked> files_;
    rate_meter total_meter_;
    std::string state_;
    progress_clock::time_point state_since_{};
    std::optional<progress_clock::time_point> last_draw_;
    std::size_t drawn_lines_ = 0;
    bool finished_ = false;
};

} // namespace ascpp::cli
