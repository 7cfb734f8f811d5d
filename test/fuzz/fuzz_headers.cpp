// Fuzz target: the X-Rate-Limit header parser. Any text is a budget built from the pairs it
// holds, or nothing.
#include <ascpp/api/rate_limit.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view header(reinterpret_cast<const char*>(data), size);
    if (auto r = ascpp::api::parse_rate_limit(header)) {
        if (r->pairs.empty())
            std::abort(); // a budget is only reported when a pair was read
        (void)r->to_string();
    }
    return 0;
}
