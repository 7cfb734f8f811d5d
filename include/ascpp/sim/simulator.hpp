// ascpp::sim::simulator: a faithful local App Store Connect for the Background Assets endpoints.
//
// It serves the 17 operations of the spec over HTTPS on a loopback "API origin" and accepts part
// uploads on a second "upload host" origin, with Apple's JWT auth, rate limit, JSON:API shapes,
// state machines on timers and seeded fault injection. A test constructs one, points its client
// at api_url() trusting ca_file(), and reads stats() afterwards. The simulator runs on its own
// threads and io_context, so the test's client runs independently of it.
//
// Every member function is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::sim {

// A certificate chain and its private key (PEM files) for one origin.
struct tls_files {
    std::filesystem::path certificate_chain;
    std::filesystem::path private_key;
};

// An API key the simulator accepts. Created by simulator::create_api_key (which also returns the
// private key) or registered from a public key by simulator::add_api_key.
struct api_credentials {
    std::string key_id;
    // The team's issuer id (a UUID); empty for an individual key, whose tokens carry sub "user".
    std::string issuer_id;
    bool individual = false;
    // PKCS#8 PEM EC P-256 private key, as in Apple's AuthKey_<key id>.p8. Empty when registered
    // from a public key only.
    std::string private_key_pem;
};

// What a fault does to a request it hits.
enum class fault_kind {
    http_error,        // answer `status` (500, 503 or 429) with an ErrorResponse body
    latency,           // delay the response by `delay`, then serve it normally
    drop_connection,   // API: send the headers and half the body, then close; upload host:
                       // read half the request body, then close without answering
    stall,             // accept the request and never answer; the connection closes after
                       // `delay` (or when the simulator stops)
    expire_upload_url, // on backgroundAssetUploadFiles_createInstance: the reservation's part
                       // URLs are already expired (their PUTs get 403)
    fail_processing,   // on backgroundAssetUploadFiles_updateInstance (commit): the file (and
                       // its version, for an ASSET) end FAILED whatever arrived
    // Webhook deliveries (route "webhook"; `latency` there delays a delivery by `delay`):
    drop_delivery,      // the delivery is never sent
    duplicate_delivery, // sent twice
    reorder_delivery,   // held back until the next delivery to the same webhook has been sent
                        // (at most `delay`), so it arrives after a later event
    bad_signature,      // a forged delivery goes first: the same event claiming the version or
                        // release FAILED (REJECTED), signed with a wrong secret
};

// One fault rule. A request "matches" when its route equals `route` (or `route` is "*"); each
// matching request is hit with probability `rate`, drawn from a generator private to this rule
// and seeded from the simulator's seed and the rule's position, so the n-th matching request of
// a rule gets the same verdict in every run with the same seed.
struct fault_rule {
    // An operationId of the spec (e.g. "backgroundAssets_createInstance"), "upload_part" for part
    // PUTs on the upload host, "webhook" for webhook deliveries, or "*" for every API operation.
    std::string route = "*";
    fault_kind kind = fault_kind::http_error;
    double rate = 1.0;                     // 0..1
    unsigned status = 500;                 // http_error only: 500, 503 or 429
    std::chrono::milliseconds delay{1000}; // latency and stall
    std::optional<std::uint64_t> max_hits; // stop hitting after this many
    std::string file_name;                 // fail_processing: only files with this fileName
};

struct simulator_options {
    // API origin. Port 0 picks a free port.
    std::string api_address = "127.0.0.1";
    std::uint16_t api_port = 0;
    // Upload host: a second origin. 127.0.0.2 is used when it can be bound, else 127.0.0.1.
    std::string upload_address = "127.0.0.2";
    std::uint16_t upload_port = 0;

    // TLS certificates. When absent, the simulator generates a CA and issues a certificate for
    // each origin (SANs: its address, localhost); ca_file() is then that CA.
    std::optional<tls_files> api_tls;
    std::optional<tls_files> upload_tls;
    // With api_tls/upload_tls given: the CA file clients must trust (reported by ca_file()).
    std::optional<std::filesystem::path> ca_file;

    // Where generated certificates and spooled parts go. Empty: a fresh temporary directory,
    // removed by stop().
    std::filesystem::path work_dir;

    // Apps that exist, by id (numeric strings like Apple's).
    std::vector<std::string> app_ids = {"1234567890"};

    // Upload reservations.
    std::uint64_t part_size = 5 * 1024 * 1024;
    std::chrono::seconds upload_url_lifetime{7 * 24 * 3600};
    // Shuffle the listed upload operations as Apple does (seeded).
    bool shuffle_upload_operations = true;

    // State machine timers.
    std::chrono::milliseconds upload_processing_delay{100};  // UPLOAD_COMPLETE -> COMPLETE
    std::chrono::milliseconds version_processing_delay{200}; // PROCESSING -> COMPLETE/FAILED
    std::chrono::milliseconds release_processing_delay{100}; // PROCESSING_FOR_* -> READY_*
    // A version's processing time drawn from a spread: (version_processing_delay +
    // version_processing_per_mib x the asset file's MiB) x exp(N(0, spread^2)), a lognormal
    // factor whose median is 1 (0: no spread, the fixed delay). Apple publishes no figures; a
    // spread of 0.6 (5% to 95% of the draws within 0.37x to 2.7x the median) is the assumption
    // the benchmarks use. Drawn from the simulator's seed.
    std::chrono::milliseconds version_processing_per_mib{0};
    double version_processing_spread = 0;

    // Rate limit per API key over a rolling window, as `X-Rate-Limit: user-hour-lim:N;...`.
    std::uint32_t rate_limit = 3600;
    std::chrono::milliseconds rate_limit_window{3600 * 1000};

    // JWT checks.
    std::chrono::seconds max_token_lifetime{1200};
    std::chrono::seconds clock_skew{60};
    // How far the simulator's clock is ahead of this machine's (negative: behind): what a client
    // with a wrong clock sees. The API's responses carry it in their Date header, as Apple's do.
    std::chrono::seconds clock_offset{0};

    // Whether upload files carry the `sourceFileChecksums` (and `sourceFileChecksum`) committed
    // with them when read. The spec declares them on every read of an upload file; false
    // emulates a service that leaves them out (the client then cannot tell an unchanged pack).
    bool return_source_file_checksums = true;

    // Page size when a list request has no `limit`.
    std::uint32_t default_page_limit = 50;

    std::vector<fault_rule> faults;
    std::uint64_t seed = 1;

    // The network's round trip to the upload host, as a user far from Apple's servers sees it:
    // each part's response is held this long after its body has arrived (an assumption: real
    // latency also slows connection set-up and TCP's window growth, which loopback cannot show).
    std::chrono::milliseconds upload_latency{0};

    // Threads running the simulator's io_context.
    unsigned threads = 1;

    // Webhook deliveries: where the signature goes, and the retries of a delivery not answered
    // with 2xx: after webhook_retry_delay, doubling each time, at most webhook_attempts POSTs.
    std::string webhook_signature_header = "X-Apple-SIGNATURE";
    std::string webhook_signature_prefix = "hmacsha256=";
    std::chrono::milliseconds webhook_retry_delay{1000};
    unsigned webhook_attempts = 5;
    // A CA to trust for https:// webhook URLs besides the system's; unset: the simulator's own
    // CA (ca_file()).
    std::optional<std::filesystem::path> webhook_ca_file;
};

// A webhook the simulator delivers to: the attributes of Apple's POST /v1/webhooks that matter
// here. Event types: BACKGROUND_ASSET_VERSION_STATE_UPDATED,
// BACKGROUND_ASSET_VERSION_INTERNAL_BETA_RELEASE_CREATED,
// BACKGROUND_ASSET_VERSION_EXTERNAL_BETA_RELEASE_STATE_UPDATED and
// BACKGROUND_ASSET_VERSION_APP_STORE_RELEASE_STATE_UPDATED.
struct webhook_config {
    std::string url; // https://..., or http:// to a loopback address
    std::string secret;
    std::vector<std::string> event_types; // empty: all four
    bool enabled = true;
};

// Counters since start (or the last reset_stats()); a consistent snapshot.
struct simulator_stats {
    // Requests per operationId; part PUTs count as "upload_part", control calls as "sim".
    std::map<std::string, std::uint64_t> requests;
    // Responses by status code, API origin and upload host together.
    std::map<unsigned, std::uint64_t> responses;
    // Body bytes received by the upload host (including parts later rejected or dropped).
    std::uint64_t upload_bytes_received = 0;
    // Parts accepted completely (200 with an ETag).
    std::uint64_t parts_received = 0;
    // Parts folded into their file's whole-file MD5 and SHA-256. A part that arrives ahead of
    // file order waits on disk and is counted when the digests reach it: below parts_received
    // while that work is still to do.
    std::uint64_t parts_digested = 0;
    // Requests that reached the upload host with an Authorization header (must stay 0).
    std::uint64_t upload_authorization_headers = 0;
    // Highest number of part PUTs receiving a body at the same time.
    std::uint64_t peak_concurrent_part_uploads = 0;
    // Commit verdicts: checksums given and matching, given and not matching, none given.
    std::uint64_t checksums_matched = 0;
    std::uint64_t checksums_mismatched = 0;
    std::uint64_t checksums_absent = 0;
    // Faults applied, by kind name ("http_error", "latency", "drop_connection", "stall",
    // "expire_upload_url", "fail_processing").
    std::map<std::string, std::uint64_t> faults;
    // Requests refused with 401 and with 429 RATE_LIMIT_EXCEEDED (faults not included).
    std::uint64_t unauthorized = 0;
    std::uint64_t rate_limited = 0;
    // Webhooks: deliveries (one event to one webhook), POSTs sent (retries, duplicates and
    // forgeries included), POSTs answered 2xx, POSTs answered otherwise or failed, and
    // deliveries given up after webhook_attempts.
    std::uint64_t webhook_deliveries = 0;
    std::uint64_t webhook_posts = 0;
    std::uint64_t webhook_acknowledged = 0;
    std::uint64_t webhook_failed_posts = 0;
    std::uint64_t webhook_abandoned = 0;
};

// Release channels a version can be in, and the review actions the control API drives.
enum class release_channel { internal_beta, external_beta, app_store };

class simulator {
public:
    // Binds both origins and starts serving on its own threads. Throws std::runtime_error (or
    // boost::system::system_error) when it cannot bind or load its TLS files.
    explicit simulator(simulator_options options = {});
    ~simulator(); // stop()
    simulator(const simulator&) = delete;
    simulator& operator=(const simulator&) = delete;

    // "https://127.0.0.1:PORT", without a trailing slash.
    std::string api_url() const;
    // The upload host's origin, e.g. "https://127.0.0.2:PORT".
    std::string upload_url() const;
    // PEM file of the CA clients must trust for both origins.
    std::filesystem::path ca_file() const;

    // Generates a P-256 key pair and registers its public key. Team keys get a fresh issuer id.
    api_credentials create_api_key(bool individual = false);
    // Accepts tokens signed by `public_key_pem` (SubjectPublicKeyInfo PEM) under `key_id`.
    // `issuer_id` empty means an individual key. Throws std::invalid_argument on a bad key.
    void add_api_key(std::string key_id, std::string issuer_id, std::string_view public_key_pem);
    // A revoked key's tokens get 403 FORBIDDEN_ERROR, as Apple does.
    void revoke_api_key(std::string_view key_id);

    // Drops every pack, version, upload file and release, re-seeds options().app_ids (or
    // `app_ids` when given), clears statistics and fault counters. Keys stay registered.
    void reset(std::optional<std::vector<std::string>> app_ids = std::nullopt);
    void add_app(std::string app_id);

    // Replaces the fault rules; their generators restart from `seed` (options().seed if absent).
    void set_faults(std::vector<fault_rule> rules, std::optional<std::uint64_t> seed = {});
    void clear_faults();

    // Review actions (the same as POST /sim/releases): for external_beta "create" (a COMPLETE
    // version enters READY_FOR_BETA_SUBMISSION), "submit", "start_review", "approve",
    // "reject"; for app_store "create" (PREPARE_FOR_SUBMISSION), "ready", "submit",
    // "start_review", "approve" (ACCEPTED), "reject", "distribute". PROCESSING_FOR_* states end
    // on a timer; older releases of the same pack become SUPERSEDED. internal_beta takes no
    // action (its release follows processing). Throws std::invalid_argument for an unknown
    // version or action and std::logic_error when the release is not in a state that allows it.
    void release_action(std::string_view version_id, release_channel channel,
                        std::string_view action);

    // While paused, the state machines' timers still run out but their transitions wait
    // (uploads stay UPLOAD_COMPLETE, versions PROCESSING, releases PROCESSING_FOR_*); resuming
    // applies them. Lets a test observe an intermediate state without racing a timer.
    void pause_processing(bool paused);

    // Webhook configurations (as POST /sim/webhooks): every state change of a version or
    // release is then delivered, signed, to each enabled webhook whose event types include it.
    // Returns the webhook's id. Throws std::invalid_argument for a URL that is not http(s) or an
    // empty secret.
    std::string add_webhook(webhook_config config);
    void remove_webhook(std::string_view id);
    std::vector<std::pair<std::string, webhook_config>> webhooks() const;

    simulator_stats stats() const;
    void reset_stats();

    const simulator_options& options() const noexcept;

    // Closes the listeners and every connection, cancels timers and joins the threads.
    // Idempotent.
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace ascpp::sim
