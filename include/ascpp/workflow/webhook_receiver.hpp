// ascpp::workflow::webhook_receiver: an HTTPS (or plain HTTP, behind a TLS-terminating proxy)
// endpoint for App Store Connect's webhook deliveries, which wakes the watches of a
// state_watcher at once instead of leaving them to their next poll.
//
// Every POST is checked before its body is parsed: the HMAC-SHA256 of the raw body under the
// webhook's secret must equal the hex digest in the signature header (by default
// `X-Apple-SIGNATURE: hmacsha256=<hex>`, compared in constant time). A missing or wrong
// signature gets 401 and changes nothing. A verified delivery is acknowledged with 200; one whose
// event id was seen recently (Apple retries, and may deliver twice) is acknowledged and ignored.
// Bodies over max_body_bytes get 413, connections over max_connections are closed at once.
//
// Apple documents the payload thinly. ascpp reads it as JSON:API-like:
//   {"data": {"type": "<event type>", "id": "<event id>",
//             "attributes": {"oldValue": ..., "newValue": ..., "timestamp": "..."},
//             "relationships": {"instance": {"data": {"type": "backgroundAssetVersions",
//                                                     "id": "<resource id>"}}}}}
// where newValue/oldValue is a state string or an object with a "state" member. An event
// without an instance is acknowledged (and reported to on_event) but wakes nothing.
#pragma once

#include <ascpp/workflow/state_watcher.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ascpp::workflow {

// One verified delivery.
struct webhook_event {
    std::string id;            // data.id; empty when absent (then the body's SHA-256 dedups)
    std::string event_type;    // data.type, e.g. BACKGROUND_ASSET_VERSION_STATE_UPDATED
    std::string resource_type; // relationships.instance.data.type
    std::string resource_id;   // relationships.instance.data.id
    std::string new_state;     // attributes.newValue (empty when absent)
    std::string old_state;     // attributes.oldValue
    std::string timestamp;     // attributes.timestamp
    std::string body;          // the raw body, as signed
};

struct webhook_tls_files {
    std::filesystem::path certificate_chain; // PEM
    std::filesystem::path private_key;       // PEM
};

struct webhook_receiver_options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0; // 0: a free port (see webhook_receiver::port)
    // The webhook's secret, as given to App Store Connect. Required.
    std::string secret;
    // Where the signature is and how it starts. Apple documents these thinly; change them if a
    // delivery shows otherwise. The header name is matched case-insensitively.
    std::string signature_header = "X-Apple-SIGNATURE";
    std::string signature_prefix = "hmacsha256=";
    // TLS; unset: plain HTTP (only behind a proxy that terminates TLS).
    std::optional<webhook_tls_files> tls;
    std::size_t max_body_bytes = 64 * 1024;
    std::size_t max_connections = 64;
    // Event ids remembered to ignore repeated deliveries.
    std::size_t remembered_deliveries = 4096;
    // A connection idle this long (or a request this slow) is closed.
    std::chrono::milliseconds idle_timeout{30'000};
    // Called with each verified, new event, on the receiver's strand, before the watcher hears of
    // it. Must not block.
    std::function<void(const webhook_event&)> on_event;
};

struct webhook_receiver_stats {
    std::uint64_t accepted = 0;            // verified new events
    std::uint64_t duplicates = 0;          // verified, already seen
    std::uint64_t bad_signatures = 0;      // 401: signature present but wrong
    std::uint64_t missing_signatures = 0;  // 401: no signature header
    std::uint64_t malformed = 0;           // 400: verified but not a JSON object with "data"
    std::uint64_t too_large = 0;           // 413
    std::uint64_t other_requests = 0;      // 405 and bad requests
    std::uint64_t connections = 0;         // accepted connections
    std::uint64_t refused_connections = 0; // closed at once: max_connections reached
};

// The hex HMAC-SHA256 of `body` under `secret` (lower case), as a sender signs it.
std::string webhook_signature(std::string_view secret, std::string_view body);
// Whether `header_value` is `prefix` followed by the hex HMAC-SHA256 of `body` (hex in either
// case). The digests are compared in constant time.
bool verify_webhook_signature(std::string_view secret, std::string_view prefix,
                              std::string_view header_value, std::string_view body);
// Reads a verified body. Throws std::invalid_argument when it is not a JSON object with a "data"
// object.
webhook_event parse_webhook_event(std::string_view body);

class webhook_receiver {
public:
    // Binds and starts accepting on `ex` (its operations run on a strand of it). Events are
    // passed to `watcher` (may be null) as pushed_change. Throws std::invalid_argument for an
    // empty secret, boost::system::system_error when it cannot bind or load the TLS files.
    webhook_receiver(asio::any_io_executor ex, webhook_receiver_options options,
                     std::shared_ptr<state_watcher> watcher = nullptr);
    ~webhook_receiver(); // stop()
    webhook_receiver(const webhook_receiver&) = delete;
    webhook_receiver& operator=(const webhook_receiver&) = delete;

    std::uint16_t port() const noexcept;
    // Stops accepting and closes every connection. After it returns, neither on_event nor the
    // watcher is called again. Idempotent.
    void stop();
    webhook_receiver_stats stats() const;

    struct impl; // internal

private:
    std::shared_ptr<impl> impl_;
};

} // namespace ascpp::workflow
