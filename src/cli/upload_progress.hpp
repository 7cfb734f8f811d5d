// Connects the upload layer's progress tracker to the terminal display.
#pragma once

#include "progress.hpp"

#include <ascpp/upload/progress.hpp>

#include <memory>
#include <string>

namespace ascpp::cli {

// A tracker whose every update redraws (or logs) through `display`. With --quiet the display
// ignores the updates, and the tracker still counts.
inline std::shared_ptr<upload::progress_tracker> make_progress_tracker(progress_reporter& display) {
    return std::make_shared<upload::progress_tracker>([&display](const upload::progress& p) {
        if (display.mode() == progress_mode::quiet)
            return;
        file_progress f;
        f.name = std::string(p.file.name);
        f.bytes_done = p.file.bytes_sent;
        f.bytes_total = p.file.bytes_total;
        f.parts_done = p.file.parts_done;
        f.parts_total = p.file.parts_total;
        display.update(std::to_string(p.file.index), f);
    });
}

} // namespace ascpp::cli
