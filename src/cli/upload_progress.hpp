// Connects the upload layer's progress tracker to the terminal display.
#pragma once

#include "progress.hpp"

#include <ascpp/upload/progress.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace ascpp::cli {

// A tracker whose every update redraws (or logs) through `display`. With --quiet the display
// ignores the updates, and the tracker still counts.
// The bar shows acknowledged bytes plus those in flight, so it moves within a part; a failed
// attempt's bytes leave the flight, and the bar holds its place instead of going back.
inline std::shared_ptr<upload::progress_tracker> make_progress_tracker(progress_reporter& display) {
    auto shown = std::make_shared<std::vector<std::uint64_t>>(); // per file; calls are serialised
    return std::make_shared<upload::progress_tracker>([&display, shown](const upload::progress& p) {
        if (display.mode() == progress_mode::quiet)
            return;
        if (shown->size() <= p.file.index)
            shown->resize(p.file.index + 1);
        auto& last = (*shown)[p.file.index];
        last = std::max(last,
                        std::min(p.file.bytes_done + p.file.bytes_in_flight, p.file.bytes_total));
        file_progress f;
        f.name = std::string(p.file.name);
        f.bytes_done = last;
        f.bytes_total = p.file.bytes_total;
        f.parts_done = p.file.parts_done;
        f.parts_total = p.file.parts_total;
        display.update(std::to_string(p.file.index), f);
    });
}

} // namespace ascpp::cli
