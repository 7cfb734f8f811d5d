// Fuzz target: the webhook receiver's request path. Byte 0 picks the body limit (bit 0: 64 bytes,
// else 64 KiB), whether the body gets a correct signature (bit 1), so both the rejection and
// the parsing paths are reached, and the size of each read (bits 2-7); the rest is the request
// as it arrives on the socket. The parser
// must stop at its limits, and the verdict must never accept a body whose signature is wrong.
#include "webhook_request.hpp"

#include <boost/beast/core/buffers_to_string.hpp>

#include <algorithm>
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

    // Fed as a socket read would feed it: a chunk of up to `read_size` more bytes each time,
    // with what the parser left unconsumed (Beast requires more data after need_more).
    const std::size_t read_size = 1 + (data[0] >> 2) * 4;
    detail::webhook_parser parser;
    detail::limit_parser(parser, options);
    boost::beast::error_code ec;
    std::string pending;
    std::size_t fed = 0;
    while (!parser.is_done()) {
        if (fed == sent.size())
            return 0; // the peer closed before a whole request
        const std::size_t more = std::min(read_size, sent.size() - fed);
        pending.append(sent.substr(fed, more));
        fed += more;
        for (;;) {
            auto n = parser.put(boost::asio::buffer(pending.data(), pending.size()), ec);
            pending.erase(0, n);
            if (ec == bhttp::error::need_more) {
                ec = {};
                break;
            }
            if (ec)
                return 0;
            // The receiver answers 411 to a chunked body once the header is read.
            if (parser.is_header_done() && parser.chunked())
                return 0;
            if (parser.is_header_done())
                parser.eager(true);
            if (parser.is_done() || n == 0 || pending.empty())
                break;
        }
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
