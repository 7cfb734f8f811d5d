// Fuzz target: the command line's duration parser (--timeout 90s, 1h30m, ...). Any text parses
// to a non-negative duration that can be formatted, or is refused with a usage error.
#include "duration.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::chrono::milliseconds d{};
    try {
        d = ascpp::cli::parse_duration(text, "--timeout");
    } catch (const std::exception&) {
        return 0;
    }
    if (d.count() < 0 || ascpp::cli::format_duration(d).empty())
        std::abort();
    return 0;
}
