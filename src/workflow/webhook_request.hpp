// The webhook receiver's request path without sockets: how a request is parsed and what answer a
// parsed request gets. The receiver and the fuzz target share it.
#pragma once

#include <ascpp/workflow/webhook_receiver.hpp>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace ascpp::workflow::detail {

namespace bhttp = boost::beast::http;

using webhook_parser = bhttp::request_parser<bhttp::string_body>;

inline constexpr std::uint32_t webhook_header_limit = 8 * 1024;

// Sets the parser's header and body limits from the options.
void limit_parser(webhook_parser& parser, const webhook_receiver_options& options);

enum class webhook_outcome {
    accepted,          // 200, a new event
    duplicate,         // 200, seen before (decided by the caller, which remembers ids)
    missing_signature, // 401
    bad_signature,     // 401
    malformed,         // 400, verified but unreadable
    not_post,          // 405
};

struct webhook_verdict {
    webhook_outcome outcome = webhook_outcome::not_post;
    unsigned status = 405;
    std::optional<webhook_event> event; // accepted: the event, its id always set
};

// Judges one complete request. Verifies the signature before anything reads the body. An
// accepted event's id is data.id, or "sha256:<hex of the body>" when the body has none.
webhook_verdict judge_webhook(const webhook_receiver_options& options,
                              const bhttp::request<bhttp::string_body>& request);

} // namespace ascpp::workflow::detail
