// The API origin: Apple's 17 Background Assets operations, and the checks every request goes
// through first (auth, rate limit, faults, content negotiation).
#pragma once

#include "api_error.hpp"
#include "service.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace ascpp::sim {

using request_type = http::request<http::string_body>;

// What the session must do with a response: send it, or apply a fault to it.
struct api_outcome {
    response_type response;
    std::chrono::milliseconds latency{0};
    enum class delivery { normal, drop_mid_body, stall } how = delivery::normal;
    std::chrono::milliseconds stall{0};
};

api_outcome handle_api_request(service& svc, const request_type& req);

// A response with an ErrorResponse body (also used by the control API).
response_type error_response(const api_error& e, unsigned version, bool keep_alive);

} // namespace ascpp::sim
