// Errors of the API layer.
//  - api_error: the service answered with a non-2xx status (the ErrorResponse is decoded).
//  - decode_error: a 2xx body (or a model) did not have the shape the spec declares.
// Transport failures stay ascpp::http::transport_error, so callers can tell "the network failed"
// from "the service said no".
#pragma once

#include <ascpp/api/json_object.hpp>
#include <boost/json/fwd.hpp>
#include <boost/system/error_code.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::api {

// ErrorSourcePointer {pointer} or ErrorSourceParameter {parameter}.
struct error_source {
    std::optional<std::string> pointer;   // RFC 6901 JSON Pointer into the request body
    std::optional<std::string> parameter; // the offending query parameter
    friend bool operator==(const error_source&, const error_source&) = default;
};

// ResponseError: one entry of ErrorResponse.errors.
struct response_error {
    std::optional<std::string> id;
    std::string status; // the HTTP status as a string, e.g. "409"
    std::string code;   // hierarchical, dot-separated: match by prefix (has_code)
    std::string title;
    std::optional<std::string> detail;
    std::optional<error_source> source;
    std::optional<json_object> links; // ErrorLinks, kept as sent
    std::optional<json_object> meta;  // free-form (e.g. associatedErrors)
    json_object unknown;

    // Whether `code` is `prefix` or starts with `prefix` followed by '.'.
    bool has_code(std::string_view prefix) const noexcept;

    friend bool operator==(const response_error&, const response_error&) = default;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value&, const error_source&);
error_source tag_invoke(boost::json::value_to_tag<error_source>, const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const response_error&);
response_error tag_invoke(boost::json::value_to_tag<response_error>, const boost::json::value&);

namespace detail {
struct parsed_error_body;
}

// The error codes of API failures (see ascpp::error_code_of): an api_error's status class, or a
// response that did not decode.
enum class errc {
    bad_request = 1,   // 400
    unauthorized,      // 401: the token was refused (key revoked, clock far off)
    forbidden,         // 403: the key's role may not do this
    not_found,         // 404
    conflict,          // 409: e.g. an identifier already taken, a state that forbids the change
    unprocessable,     // 422
    rate_limited,      // 429, after the retries the policy allows
    server_error,      // 5xx, after the retries the policy allows
    unexpected_status, // any other status
    invalid_response,  // a decode_error: a body that does not match the spec
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

// The code for a response status (not for 2xx).
errc errc_for_status(unsigned status) noexcept;

// Whether a response with this status is worth asking for again, unchanged, a little later: 408,
// 429 and 5xx. (Whether a request that may have taken effect may be repeated is the caller's
// rule: the API client repeats a POST only on 429.)
constexpr bool is_transient_status(unsigned status) noexcept {
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

// A non-2xx response of the App Store Connect API.
class api_error : public std::runtime_error {
public:
    // `operation` is the spec's operationId; `body` is the raw response body (decoded when it is
    // an ErrorResponse; otherwise a short excerpt is kept).
    api_error(unsigned status, std::string operation, std::string request_id,
              std::string_view body);

    unsigned status() const noexcept { return status_; }
    // operationId of the request that failed, e.g. "backgroundAssets_createInstance".
    const std::string& operation() const noexcept { return operation_; }
    // Every entry of ErrorResponse.errors (empty when the body was not an ErrorResponse).
    const std::vector<response_error>& errors() const noexcept { return errors_; }
    // The request id the server sent (x-request-id, or apple-request-id / x-apple-request-uuid),
    // empty when none; quote it when asking Apple for help.
    const std::string& request_id() const noexcept { return request_id_; }
    // The start of a body that was not an ErrorResponse (e.g. a plain-text 406), else empty.
    const std::string& body_excerpt() const noexcept { return body_excerpt_; }

    // Whether any entry's code matches `prefix` (see response_error::has_code).
    bool has_code(std::string_view prefix) const noexcept;
    // The first entry's code, or empty.
    std::string_view code() const noexcept;

private:
    api_error(unsigned status, std::string operation, std::string request_id,
              detail::parsed_error_body&& body);

    unsigned status_;
    std::string operation_;
    std::string request_id_;
    std::vector<response_error> errors_;
    std::string body_excerpt_;
};

// A body did not match the shape the spec declares (a 2xx response, or a request body the
// simulator decodes). pointer() is the RFC 6901 JSON Pointer of the offending member ("" for
// the root), usable as an ErrorResponse `source.pointer`.
class decode_error : public std::runtime_error {
public:
    decode_error(std::string pointer, std::string problem);
    const std::string& pointer() const noexcept { return pointer_; }
    const std::string& problem() const noexcept { return problem_; }

private:
    std::string pointer_;
    std::string problem_;
};

} // namespace ascpp::api

namespace boost::system {
template <>
struct is_error_code_enum<ascpp::api::errc> : std::true_type {};
} // namespace boost::system
