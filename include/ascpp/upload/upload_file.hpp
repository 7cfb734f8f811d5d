// ascpp::upload::upload_file: send a local file to the upload operations of a reservation, then
// commit it with its checksums.
//
//   api::client api(ex, config);
//   auto reservation = co_await api.create_background_asset_upload_file({...});
//   auto result = co_await upload::upload_file(api, reservation.data, "Pack.aar");
//
// What it does:
//  - validates the operations against the file (ranges inside the file, no overlap, no gap, a
//    known method, https URLs (plain http only to loopback));
//  - sends every operation in parallel, streamed from the file by byte range, under the shared
//    limiter (global and per-host limits), with the exact method, URL and requestHeaders, and
//    never the API token;
//  - hashes off the io thread, alongside the sends: each part's MD5 by the process-wide part
//    hasher, eight parts at once (checked against the ETag the host returns), the whole file's
//    SHA-256 (or MD5) by one sequential pass, both on the hashing pool (docs/library.md, "Upload
//    a file", explains the design);
//  - retries a part with capped exponential backoff and jitter on 5xx, 408, 429, timeouts and
//    dropped connections; on a 403 (expired URL) re-reads the upload file for fresh operations;
//  - records acknowledged parts in the journal, if one is given, and skips the parts a previous
//    run recorded;
//  - commits (`uploaded: true`, sourceFileChecksums file + composite) and returns the upload file
//    (UPLOAD_COMPLETE, or already COMPLETE).
//
// Cancellation (the token's cancellation slot) stops every part of the file promptly; the
// journal then holds exactly the parts that were acknowledged.
#pragma once

#include <ascpp/api/client.hpp>
#include <ascpp/async.hpp>
#include <ascpp/upload/hasher.hpp>
#include <ascpp/upload/journal.hpp>
#include <ascpp/upload/limiter.hpp>
#include <ascpp/upload/progress.hpp>
#include <ascpp/upload/retry_options.hpp>
#include <ascpp/upload/upload_error.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ascpp::upload {

// A whole-file checksum computed earlier (publish hashes before it compares), with the file's
// size and modification time at that moment.
struct known_checksum {
    digest value;
    hash_algorithm algorithm = hash_algorithm::sha_256;
    journal::file_identity identity;
};

struct upload_options {
    // Shared concurrency limits; null means limiter::process_default().
    std::shared_ptr<upload::limiter> limiter;
    // `sourceFileChecksums.file`. SHA-256 by default: with SHA-NI it hashes more than twice as
    // fast as MD5 (docs/library.md, "Upload a file"); MD5 is there for a service that would refuse
    // SHA_256.
    hash_algorithm file_checksum = hash_algorithm::sha_256;
    // Also send `sourceFileChecksums.composite` (MD5 of the part MD5s, see composite_md5).
    bool composite_checksum = true;
    retry_options retry;
    // Timeout of one part PUT; unset: the transport's request_timeout.
    std::optional<std::chrono::milliseconds> part_timeout;
    // Progress of this file is added to this tracker (optional).
    std::shared_ptr<progress_tracker> progress;
    // The resume journal (optional) and this file's key in it (default: the asset type, e.g.
    // "ASSET"; set it when one journal follows several files of the same type).
    std::shared_ptr<upload::journal> journal;
    std::string journal_key;
    // How far the whole-file hashing pass may read ahead of the lowest unsent byte.
    std::uint64_t hash_lead_bytes = 64ull * 1024 * 1024;
    // The file's checksum, already computed: used instead of the hashing pass when its algorithm
    // is `file_checksum` and the file still has the same size and modification time.
    std::optional<known_checksum> known_file_checksum;
    // Whether to commit after the parts are sent (false leaves the reservation uncommitted).
    bool commit = true;
};

struct upload_stats {
    std::uint64_t file_size = 0;
    std::uint64_t bytes_sent = 0;    // body bytes written for parts, retries included
    std::uint64_t bytes_resumed = 0; // bytes of parts a previous run had sent (journal)
    std::size_t parts = 0;
    std::size_t parts_sent = 0;     // parts acknowledged in this run
    std::size_t parts_resumed = 0;  // parts skipped thanks to the journal
    std::size_t part_retries = 0;   // part sends repeated after a failure
    std::size_t url_refreshes = 0;  // times fresh operations were fetched after a 403
    std::uint64_t api_requests = 0; // API requests this upload made (refreshes, commit)
    std::uint64_t bytes_hashed = 0; // read by the whole-file pass (0: known_file_checksum used)
    std::chrono::milliseconds duration{0};
};

struct upload_result {
    // The upload file as the commit (or a later read) returned it.
    api::background_asset_upload_file file;
    // What was committed (empty digests when commit was false for the file checksum).
    digest file_checksum;
    hash_algorithm file_checksum_algorithm = hash_algorithm::sha_256;
    digest composite_checksum;
    upload_stats stats;
};

// Uploads `path` to the reservation's operations and commits. Throws upload_error,
// api::api_error, http::transport_error, or system_error(operation_aborted) when cancelled.
asio::awaitable<upload_result> upload_file(api::client& client,
                                           api::background_asset_upload_file reservation,
                                           std::filesystem::path path,
                                           upload_options options = upload_options());

template <class CompletionToken = default_token>
auto async_upload_file(api::client& client, api::background_asset_upload_file reservation,
                       std::filesystem::path path, upload_options options = upload_options(),
                       CompletionToken&& token = {}) {
    return run_async(
        client.executor(),
        upload_file(client, std::move(reservation), std::move(path), std::move(options)),
        std::forward<CompletionToken>(token));
}

// What reserve_and_upload reserves.
struct reserve_request {
    std::string background_asset_version_id;
    api::asset_type asset_type{api::asset_type::asset};
    std::filesystem::path path;
    // The name the service records; default: path's file name.
    std::string file_name;
};

// Reserves the file on the version (POST /v1/backgroundAssetUploadFiles) and uploads it. With a
// journal that already holds a reservation for this file (same key, same version, same local
// file), that reservation is resumed instead: re-read for fresh operations, its acknowledged
// parts skipped; a reservation that was already committed is returned as it is.
asio::awaitable<upload_result> reserve_and_upload(api::client& client, reserve_request request,
                                                  upload_options options = upload_options());

template <class CompletionToken = default_token>
auto async_reserve_and_upload(api::client& client, reserve_request request,
                              upload_options options = upload_options(),
                              CompletionToken&& token = {}) {
    return run_async(client.executor(),
                     reserve_and_upload(client, std::move(request), std::move(options)),
                     std::forward<CompletionToken>(token));
}

// The digest of the whole file, by the same sequential pass as the upload's, on the hashing pool
// (one read). Throws upload_error (file_error, file_changed) or operation_aborted.
asio::awaitable<digest> checksum_file(std::filesystem::path path,
                                      hash_algorithm algorithm = hash_algorithm::sha_256);

// A validated upload operation (what upload_file sends), exposed for tools and tests.
struct part_operation {
    std::int64_t part_number = 0;
    std::string method;
    std::string url;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::vector<std::pair<std::string, std::string>> headers;
};

// Checks a reservation's operations against a file of `file_size` bytes and returns them in
// offset order. Operations without partNumber are numbered by offset (1-based). Throws
// upload_error(invalid_operations) naming the operation and the problem.
std::vector<part_operation>
validate_operations(const std::vector<api::delivery_file_upload_operation>& operations,
                    std::uint64_t file_size);

} // namespace ascpp::upload
