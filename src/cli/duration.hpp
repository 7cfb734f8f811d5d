// Durations as people type them on a command line: "90s", "5m", "1h30m", "250ms", "45".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace ascpp::cli {

// Parses a sequence of <integer><unit> terms with units h, m, s, ms in that order, each at most
// once ("1h30m", "2m30s", "1500ms"). A bare integer means seconds. Throws usage_error naming
// `what` (e.g. "--timeout") when the text is not such a duration or overflows.
std::chrono::milliseconds parse_duration(std::string_view text, std::string_view what);

// The inverse, for messages: 5400000ms -> "1h30m", 1500ms -> "1.5s", 0 -> "0s".
std::string format_duration(std::chrono::milliseconds d);

} // namespace ascpp::cli
