// What the transport sends: method, absolute URL, headers and a body held in memory or streamed
// from a byte range of a file.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/url/url.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>

namespace ascpp::http {

namespace beast = boost::beast;

// Bytes of a file that are already in memory, alive while `hold` is.
struct held_bytes {
    std::shared_ptr<const void> hold;
    std::span<const unsigned char> bytes;
};

// Bytes [offset, offset + length) of a file, streamed in chunks; never loaded whole.
struct file_range {
    std::filesystem::path path;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    // When set, asked before each chunk is read, with the chunk's offset in the file and its
    // most bytes: bytes of the file from that offset that the program read already (a hasher
    // did), sent instead of reading them again, or none (read the file). Called on the
    // connection's strand: it must not block.
    std::function<held_bytes(std::uint64_t offset, std::size_t max)> held;
};

// Called with each chunk of the request body, in order, as it is written to the socket, so a
// layer above can hash and count bytes in the same pass that sends them.
using chunk_observer = std::function<void(std::span<const unsigned char>)>;

struct request {
    beast::http::verb method = beast::http::verb::get;
    boost::urls::url url; // absolute: scheme, host, optional port, path and query
    beast::http::fields headers;
    std::variant<std::monostate, std::string, file_range> body;

    chunk_observer on_chunk;
    // Called before the body is sent again from the start (the transport's one safe retry), so
    // an observer can reset what it computed.
    std::function<void()> on_body_restart;

    // Whether the transport may retry once on a fresh connection when the request failed before
    // any response byte arrived. Unset: by method (GET, HEAD, PUT, DELETE, OPTIONS are).
    std::optional<bool> idempotent;
    // Overrides client_options::request_timeout for this request.
    std::optional<std::chrono::milliseconds> timeout;
    // Overrides client_options::max_response_body for this request.
    std::optional<std::size_t> max_response_body;
};

// How ascpp names the origin of an absolute http or https URL wherever origins are compared (the
// connection pools, the limiter's hosts, the API token's confinement): "scheme://host:port" with
// scheme and host in lower case, the port always written, an IPv6 address in brackets. Throws
// transport_error (invalid_url) for another scheme or a URL without a usable host.
std::string origin_name(const boost::urls::url_view& url);

} // namespace ascpp::http
