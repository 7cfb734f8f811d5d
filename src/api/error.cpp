#include <ascpp/api/error.hpp>

#include "../detail/error_category.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>

namespace ascpp::api {

namespace {

constexpr std::size_t max_excerpt = 200;
constexpr std::size_t max_errors = 100; // a hostile body cannot make us keep more

// One line, printable: error text from the server goes into what().
std::string one_line(std::string_view s, std::size_t limit = 300) {
    std::string out;
    for (char c : s) {
        if (out.size() >= limit) {
            out += "...";
            break;
        }
        unsigned char u = static_cast<unsigned char>(c);
        out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
    }
    return out;
}

} // namespace

namespace detail {
struct parsed_error_body {
    std::vector<response_error> errors;
    std::string excerpt;
    std::string message;
};
} // namespace detail

namespace {

detail::parsed_error_body parse(unsigned status, const std::string& operation,
                                const std::string& request_id, std::string_view body);

} // namespace

namespace {

std::string describe(errc e) {
    switch (e) {
    case errc::bad_request:
        return "bad request (HTTP 400)";
    case errc::unauthorized:
        return "not authorized (HTTP 401)";
    case errc::forbidden:
        return "forbidden (HTTP 403)";
    case errc::not_found:
        return "not found (HTTP 404)";
    case errc::conflict:
        return "conflict (HTTP 409)";
    case errc::unprocessable:
        return "unprocessable entity (HTTP 422)";
    case errc::rate_limited:
        return "rate limited (HTTP 429)";
    case errc::server_error:
        return "server error (HTTP 5xx)";
    case errc::unexpected_status:
        return "unexpected HTTP status";
    case errc::invalid_response:
        return "response does not match the API description";
    }
    return "unknown API error";
}

} // namespace

const boost::system::error_category& category() noexcept {
    static const ascpp::detail::enum_category<errc> instance("ascpp.api", describe);
    return instance;
}

errc errc_for_status(unsigned status) noexcept {
    switch (status) {
    case 400:
        return errc::bad_request;
    case 401:
        return errc::unauthorized;
    case 403:
        return errc::forbidden;
    case 404:
        return errc::not_found;
    case 409:
        return errc::conflict;
    case 422:
        return errc::unprocessable;
    case 429:
        return errc::rate_limited;
    default:
        return status >= 500 && status < 600 ? errc::server_error : errc::unexpected_status;
    }
}

bool response_error::has_code(std::string_view prefix) const noexcept {
    if (prefix.empty() || code.size() < prefix.size() ||
        code.compare(0, prefix.size(), prefix) != 0)
        return false;
    return code.size() == prefix.size() || code[prefix.size()] == '.';
}

api_error::api_error(unsigned status, std::string operation, std::string request_id,
                     std::string_view body)
    : api_error(status, operation, request_id, parse(status, operation, request_id, body)) {}

api_error::api_error(unsigned status, std::string operation, std::string request_id,
                     detail::parsed_error_body&& body)
    : std::runtime_error(body.message), status_(status), operation_(std::move(operation)),
      request_id_(std::move(request_id)), errors_(std::move(body.errors)),
      body_excerpt_(std::move(body.excerpt)) {}

bool api_error::has_code(std::string_view prefix) const noexcept {
    for (const auto& e : errors_)
        if (e.has_code(prefix))
            return true;
    return false;
}

std::string_view api_error::code() const noexcept {
    return errors_.empty() ? std::string_view{} : std::string_view(errors_.front().code);
}

namespace {

detail::parsed_error_body parse(unsigned status, const std::string& operation,
                                const std::string& request_id, std::string_view body) {
    detail::parsed_error_body out;
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (!ec && v.is_object())
        if (const auto* errors = v.get_object().if_contains("errors"); errors && errors->is_array())
            for (const auto& item : errors->get_array()) {
                if (out.errors.size() >= max_errors)
                    break;
                try {
                    out.errors.push_back(boost::json::value_to<response_error>(item));
                } catch (const std::exception&) {
                    // An entry of the wrong shape is skipped; the status still tells the story.
                }
            }
    if (out.errors.empty() && !body.empty())
        out.excerpt = one_line(body.substr(0, max_excerpt), max_excerpt);

    // "backgroundAssets_createInstance: HTTP 409 ENTITY_ERROR.ATTRIBUTE.INVALID: The provided
    // entity includes an attribute with an invalid value - 'x' is taken (at /data/attributes/x)
    // (+1 more) [request id abc]"
    std::string m = (operation.empty() ? std::string("request") : operation) + ": HTTP " +
                    std::to_string(status);
    if (!out.errors.empty()) {
        const auto& e = out.errors.front();
        if (!e.code.empty())
            m += " " + one_line(e.code, 120);
        if (!e.title.empty())
            m += ": " + one_line(e.title);
        if (e.detail && !e.detail->empty())
            m += " - " + one_line(*e.detail);
        if (e.source && e.source->pointer)
            m += " (at " + one_line(*e.source->pointer, 120) + ")";
        else if (e.source && e.source->parameter)
            m += " (parameter " + one_line(*e.source->parameter, 120) + ")";
        if (out.errors.size() > 1)
            m += " (+" + std::to_string(out.errors.size() - 1) + " more)";
    } else if (!out.excerpt.empty()) {
        m += ": " + out.excerpt;
    }
    if (!request_id.empty())
        m += " [request id " + one_line(request_id, 80) + "]";
    out.message = std::move(m);
    return out;
}

} // namespace

} // namespace ascpp::api
