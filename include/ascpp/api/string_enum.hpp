// A string-valued enumeration that keeps values it does not know.
//
// Apple adds enum values between API releases. A client that failed to decode a response
// because a state was new would break on the day Apple ships; so every spec enum is a small
// wrapper over the wire string, with constants for the values the spec lists and is_known() for
// callers that want to treat the rest specially.
#pragma once

#include <algorithm>
#include <concepts>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace ascpp::api {

// `Derived` provides `static constexpr std::array<std::string_view, N> known_values`.
template <class Derived>
class string_enum {
public:
    string_enum() = default;
    // Implicit so that the string_view constants of Derived convert where the type is expected.
    string_enum(std::string_view value) : value_(value) {}
    string_enum(const char* value) : value_(value) {}
    explicit string_enum(std::string value) : value_(std::move(value)) {}

    const std::string& str() const noexcept { return value_; }
    bool empty() const noexcept { return value_.empty(); }

    // Whether the spec (v4.4.1) lists this value.
    bool is_known() const noexcept {
        const auto& known = Derived::known_values;
        return std::find(known.begin(), known.end(), std::string_view{value_}) != known.end();
    }

    friend bool operator==(const string_enum& a, const string_enum& b) noexcept {
        return a.value_ == b.value_;
    }
    friend bool operator==(const string_enum& a, std::string_view b) noexcept {
        return a.value_ == b;
    }
    friend auto operator<=>(const string_enum& a, const string_enum& b) noexcept {
        return a.value_ <=> b.value_;
    }
    friend std::ostream& operator<<(std::ostream& os, const string_enum& e) {
        return os << e.value_;
    }

private:
    std::string value_;
};

} // namespace ascpp::api
