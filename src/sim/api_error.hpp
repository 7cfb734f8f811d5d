// An App Store Connect error as the simulator reports it: thrown by route handlers, rendered as
// an ErrorResponse document with the matching HTTP status.
#pragma once

#include <stdexcept>
#include <string>

namespace ascpp::sim {

struct api_error : std::runtime_error {
    enum class source_kind { none, pointer, parameter };

    unsigned status;
    std::string code;
    std::string title;
    std::string detail;
    source_kind source = source_kind::none;
    std::string source_value; // the JSON pointer or the parameter name

    api_error(unsigned status, std::string code, std::string title, std::string detail)
        : std::runtime_error(code), status(status), code(std::move(code)), title(std::move(title)),
          detail(std::move(detail)) {}

    api_error& with_pointer(std::string p) {
        source = source_kind::pointer;
        source_value = std::move(p);
        return *this;
    }
    api_error& with_parameter(std::string p) {
        source = source_kind::parameter;
        source_value = std::move(p);
        return *this;
    }
};

// The errors the routes raise most, with Apple's codes and titles.
inline api_error parameter_invalid(const std::string& parameter, std::string detail) {
    return api_error(400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value",
                     std::move(detail))
        .with_parameter(parameter);
}
inline api_error parameter_illegal(const std::string& parameter) {
    return api_error(400, "PARAMETER_ERROR.ILLEGAL", "The parameter given is not allowed",
                     "The parameter '" + parameter + "' can not be used with this request")
        .with_parameter(parameter);
}
inline api_error not_found(const std::string& type, const std::string& id) {
    return api_error(404, "NOT_FOUND", "The specified resource does not exist",
                     "There is no resource of type '" + type + "' with id '" + id + "'")
        .with_parameter("id");
}
inline api_error entity_unprocessable(const std::string& pointer, std::string detail) {
    return api_error(422, "ENTITY_UNPROCESSABLE",
                     "The request entity is not valid for this request", std::move(detail))
        .with_pointer(pointer);
}
inline api_error entity_error(std::string code_suffix, const std::string& pointer,
                              std::string title, std::string detail) {
    api_error e(409, "ENTITY_ERROR" + (code_suffix.empty() ? "" : "." + code_suffix),
                std::move(title), std::move(detail));
    if (!pointer.empty())
        e.with_pointer(pointer);
    return e;
}

} // namespace ascpp::sim
