// The one error_category of the library's error enums: a name and a message per value. None of
// ascpp's categories maps its codes onto generic conditions, so equivalence stays the default
// (same category, same value).
#pragma once

#include <boost/system/error_category.hpp>

#include <string>

namespace ascpp::detail {

template <class Enum>
class enum_category final : public boost::system::error_category {
public:
    using describe_fn = std::string (*)(Enum);

    // `name` must outlive the category (a string literal); `describe` must answer any int value
    // cast to Enum, since a code can be made from any value.
    enum_category(const char* name, describe_fn describe) noexcept
        : name_(name), describe_(describe) {}

    const char* name() const noexcept override { return name_; }
    std::string message(int ev) const override { return describe_(static_cast<Enum>(ev)); }

private:
    const char* name_;
    describe_fn describe_;
};

} // namespace ascpp::detail
