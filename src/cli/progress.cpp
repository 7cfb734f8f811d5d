#include "progress.hpp"

#include "duration.hpp"
#include "output.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

namespace ascpp::cli {

namespace {

constexpr auto redraw_interval = std::chrono::milliseconds(100);

std::string fit(std::string_view s, std::size_t width) {
    if (s.size() <= width)
        return std::string(s) + std::string(width - s.size(), ' ');
    if (width <= 3)
        return std::string(s.substr(0, width));
    // Keep the end of a file name: the extension and version suffix tell files apart.
    return "..." + std::string(s.substr(s.size() - (width - 3)));
}

std::string percent(const file_progress& p) {
    double f = p.bytes_total ? static_cast<double>(p.bytes_done) / p.bytes_total : 1.0;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%3d%%", static_cast<int>(std::floor(f * 100)));
    return buf;
}

} // namespace

progress_mode choose_progress_mode(bool quiet, bool is_terminal) {
    if (quiet)
        return progress_mode::quiet;
    return is_terminal ? progress_mode::bars : progress_mode::lines;
}

bool stderr_is_terminal() {
    // A terminal that cannot move the cursor gets plain lines too.
    const char* term = std::getenv("TERM");
    return ::isatty(STDERR_FILENO) == 1 && !(term && std::string_view(term) == "dumb");
}

std::size_t terminal_width() {
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

void rate_meter::add(progress_clock::time_point t, std::uint64_t total_bytes) {
    samples_.emplace_back(t, total_bytes);
    while (samples_.size() > 2 && t - samples_[1].first >= window_)
        samples_.pop_front();
}

std::optional<double> rate_meter::bytes_per_second() const {
    if (samples_.size() < 2)
        return std::nullopt;
    auto span = std::chrono::duration<double>(samples_.back().first - samples_.front().first);
    if (span.count() < 0.2)
        return std::nullopt;
    auto bytes = samples_.back().second >= samples_.front().second
                     ? samples_.back().second - samples_.front().second
                     : 0;
    return static_cast<double>(bytes) / span.count();
}

std::string format_rate(std::optional<double> bps) {
    if (!bps || !std::isfinite(*bps) || *bps < 0)
        return "-";
    return format_bytes(static_cast<std::uint64_t>(std::llround(*bps))) + "/s";
}

std::string format_eta(std::uint64_t remaining, std::optional<double> bps) {
    if (remaining == 0)
        return "ETA 0s";
    if (!bps || !std::isfinite(*bps) || *bps < 1.0)
        return "ETA --";
    double seconds = std::ceil(static_cast<double>(remaining) / *bps);
    if (seconds > 99 * 3600.0)
        return "ETA --";
    return "ETA " +
           format_duration(std::chrono::milliseconds(static_cast<long long>(seconds) * 1000));
}

std::string render_bar(double fraction, std::size_t width) {
    if (width < 3)
        return {};
    fraction = std::clamp(fraction, 0.0, 1.0);
    std::size_t inner = width - 2;
    auto filled = static_cast<std::size_t>(std::floor(fraction * static_cast<double>(inner)));
    return "[" + std::string(filled, '#') + std::string(inner - filled, '-') + "]";
}

std::string render_progress_line(const file_progress& p, std::optional<double> rate,
                                 std::size_t width, std::size_t name_width) {
    bool done = p.bytes_total > 0 && p.bytes_done >= p.bytes_total;
    std::string suffix =
        "  " + percent(p) + "  " + format_bytes(p.bytes_done) + " / " + format_bytes(p.bytes_total);
    if (done)
        suffix += "  done";
    else
        suffix += "  " + format_rate(rate) + "  " +
                  format_eta(p.bytes_total - std::min(p.bytes_done, p.bytes_total), rate);

    std::string line = fit(p.name, name_width);
    // Keep one column free: writing into the last column makes some terminals wrap early.
    std::size_t usable = width > 1 ? width - 1 : width;
    std::size_t fixed = line.size() + 2 + suffix.size();
    if (fixed + 12 <= usable) {
        double f = p.bytes_total ? static_cast<double>(p.bytes_done) / p.bytes_total : 1.0;
        line += "  " + render_bar(f, std::min<std::size_t>(usable - fixed, 50));
    }
    line += suffix;
    if (line.size() > usable)
        line.resize(usable);
    return line;
}

progress_reporter::progress_reporter(std::ostream& err, progress_mode mode, std::size_t width,
                                     std::function<progress_clock::time_point()> now)
    : err_(err), mode_(mode), width_(width), now_(std::move(now)) {}

progress_reporter::~progress_reporter() {
    finish();
}

progress_reporter::tracked& progress_reporter::find_or_add(std::string_view key) {
    for (auto& t : files_)
        if (t.key == key)
            return t;
    tracked t;
    t.key = std::string(key);
    t.started = now_();
    files_.push_back(std::move(t));
    return files_.back();
}

std::uint64_t progress_reporter::total_done_locked() const {
    std::uint64_t n = 0;
    for (const auto& t : files_)
        n += t.progress.bytes_done;
    return n;
}

std::uint64_t progress_reporter::total_size_locked() const {
    std::uint64_t n = 0;
    for (const auto& t : files_)
        n += t.progress.bytes_total;
    return n;
}

void progress_reporter::update(std::string_view key, const file_progress& p) {
    if (mode_ == progress_mode::quiet)
        return;
    std::lock_guard lock(mutex_);
    if (finished_)
        return;
    auto now = now_();
    auto& t = find_or_add(key);
    t.progress = p;
    t.meter.add(now, p.bytes_done);
    total_meter_.add(now, total_done_locked());
    if (mode_ == progress_mode::lines)
        lines_for_file_locked(t);
    else
        redraw_locked(p.bytes_total > 0 && p.bytes_done >= p.bytes_total);
}

void progress_reporter::lines_for_file_locked(tracked& t) {
    const auto& p = t.progress;
    if (t.reported_done)
        return;
    if (p.bytes_total > 0 && p.bytes_done >= p.bytes_total) {
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now_() - t.started);
        std::optional<double> avg;
        if (elapsed.count() > 0)
            avg =
                static_cast<double>(p.bytes_total) * 1000.0 / static_cast<double>(elapsed.count());
        err_ << p.name << ": uploaded " << format_bytes(p.bytes_total) << " in "
             << format_duration(elapsed) << " (" << format_rate(avg) << ")\n";
        t.reported_done = true;
        err_.flush();
        return;
    }
    int decile = p.bytes_total ? static_cast<int>(p.bytes_done * 10 / p.bytes_total) : 0;
    if (decile <= t.last_decile)
        return;
    if (t.last_decile < 0) {
        err_ << p.name << ": uploading " << format_bytes(p.bytes_total);
        if (p.parts_total)
            err_ << " in " << p.parts_total << (p.parts_total == 1 ? " part" : " parts");
        err_ << '\n';
    }
    if (decile > 0)
        err_ << p.name << ": " << decile * 10 << "% (" << format_bytes(p.bytes_done) << ", "
             << format_rate(t.meter.bytes_per_second()) << ")\n";
    t.last_decile = decile;
    err_.flush();
}

void progress_reporter::state(std::string text) {
    if (mode_ == progress_mode::quiet)
        return;
    std::lock_guard lock(mutex_);
    if (finished_ || text == state_)
        return;
    state_ = std::move(text);
    state_since_ = now_();
    if (mode_ == progress_mode::lines) {
        err_ << state_ << '\n';
        err_.flush();
    } else {
        redraw_locked(true);
    }
}

std::string progress_reporter::current_state() {
    std::lock_guard lock(mutex_);
    return state_;
}

void progress_reporter::tick() {
    if (mode_ != progress_mode::bars)
        return;
    std::lock_guard lock(mutex_);
    if (!finished_ && (!files_.empty() || !state_.empty()))
        redraw_locked(false);
}

void progress_reporter::message(std::string_view line) {
    if (mode_ == progress_mode::quiet)
        return;
    std::lock_guard lock(mutex_);
    if (mode_ == progress_mode::bars && !finished_) {
        clear_locked();
        err_ << line << '\n';
        redraw_locked(true);
    } else {
        err_ << line << '\n';
    }
    err_.flush();
}

void progress_reporter::finish() {
    std::lock_guard lock(mutex_);
    if (finished_)
        return;
    if (mode_ == progress_mode::bars && (drawn_lines_ > 0 || !files_.empty() || !state_.empty()))
        redraw_locked(true);
    finished_ = true;
    err_.flush();
}

void progress_reporter::clear_locked() {
    if (drawn_lines_ == 0)
        return;
    err_ << "\x1b[" << drawn_lines_ << 'A';
    for (std::size_t i = 0; i < drawn_lines_; ++i)
        err_ << "\r\x1b[K\n";
    err_ << "\x1b[" << drawn_lines_ << 'A';
    drawn_lines_ = 0;
}

void progress_reporter::redraw_locked(bool force) {
    auto now = now_();
    if (!force && last_draw_ && now - *last_draw_ < redraw_interval)
        return;
    last_draw_ = now;

    std::vector<std::string> lines;
    std::size_t name_width = 5; // "total"
    for (const auto& t : files_)
        name_width = std::max(name_width, t.progress.name.size());
    name_width = std::min<std::size_t>(name_width, std::max<std::size_t>(width_ / 4, 8));
    for (const auto& t : files_)
        lines.push_back(
            render_progress_line(t.progress, t.meter.bytes_per_second(), width_, name_width));
    if (files_.size() > 1) {
        file_progress total{"total", total_done_locked(), total_size_locked(), 0, 0};
        lines.push_back(
            render_progress_line(total, total_meter_.bytes_per_second(), width_, name_width));
    }
    if (!state_.empty()) {
        auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - state_since_);
        std::string line =
            state_ + "  (" +
            format_duration(std::chrono::duration_cast<std::chrono::seconds>(waited)) + ")";
        if (line.size() >= width_)
            line.resize(width_ - 1);
        lines.push_back(std::move(line));
    }

    if (drawn_lines_ > 0)
        err_ << "\x1b[" << drawn_lines_ << 'A';
    for (const auto& l : lines)
        err_ << "\r\x1b[K" << l << '\n';
    // Clear what is left of a longer previous drawing.
    for (std::size_t i = lines.size(); i < drawn_lines_; ++i)
        err_ << "\r\x1b[K\n";
    if (drawn_lines_ > lines.size())
        err_ << "\x1b[" << drawn_lines_ - lines.size() << 'A';
    drawn_lines_ = lines.size();
    err_.flush();
}

} // namespace ascpp::cli
