#pragma once

#include <boost/beast/http/fields.hpp>

#include <string>
#include <string_view>

namespace ascpp::http {

struct response {
    unsigned status = 0;
    boost::beast::http::fields headers;
    std::string body;

    bool ok() const noexcept { return status >= 200 && status < 300; }
    // The header's value, or an empty view when absent.
    std::string_view header(std::string_view name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string_view{} : std::string_view{it->value()};
    }
};

} // namespace ascpp::http
