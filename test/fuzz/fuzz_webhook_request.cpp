// Fuzz target: the webhook receiver's request path. Byte 0 picks the body limit (bit 0: 64 bytes,
// else 64 KiB) and whether the body gets a correct signature (bit 1), so both the rejection and
// the parsing paths are reached; the rest is the request as it arrives on the socket. The parser
// must stop at its limits, and the verdict must never accept a body whose signature is wrong.
#include "webhook_request.hpp"

#include <boost/beast/core/buffers_to_string.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace wf = ascpp::workflow;
namespace detail = ascpp::workflow::detail;
namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    wf::webhook_receiver_options options;
    options.secret = "fuzz-secret";
    options.max_body_bytes = (data[0] & 1) ? 64 : 64 * 1024;
    const bool sign = data[0] & 2;
    std::string_view sent(reinterpret_cast<const char*>(data + 1), size - 1);

    detail::webhook_parser parser;
    detail::limit_parser(parser, options);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!sent.empty() && !parser.is_done()) {
        auto n = parser.put(boost::asio::buffer(sent.data(), sent.size()), ec);
        if (ec == bhttp::error::need_more) {
            ec = {};
            if (n == 0)
                break;
        }
        if (ec)
            return 0;
        sent.remove_prefix(n);
    }
    if (!parser.is_done())
        return 0;
    auto req = parser.release();
    if (req.body().size() > options.max_body_bytes)
        std::abort();
    const bool had_good_signature = [&] {
        auto it = req.find(options.signature_header);
        return it != req.end() &&
               wf::verify_webhook_signature(
                   options.secret, options.signature_prefix,
                   std::string_view(it->value().data(), it->value().size()), req.body());
    }();
    if (sign)
        req.set(options.signature_header,
                options.signature_prefix + wf::webhook_signature(options.secret, req.body()));
    auto verdict = detail::judge_webhook(options, req);
    const bool signed_now = sign || had_good_signature;
    if (verdict.outcome == detail::webhook_outcome::accepted) {
        if (!signed_now || req.method() != bhttp::verb::post || !verdict.event ||
            verdict.event->id.empty() || verdict.status != 200)
            std::abort();
    } else if (verdict.event) {
        std::abort();
    }
    return 0;
}
