#include "part_attempt.hpp"

#include <ascpp/api/error.hpp>
#include <ascpp/http/error.hpp>

#include <boost/asio/error.hpp>

namespace ascpp::upload::detail {

namespace {

part_verdict fail(upload_errc error, std::string message) {
    return {part_step::fail, error, std::move(message), false};
}

} // namespace

part_verdict judge_part_attempt(const part_outcome& outcome, part_tally& tally,
                                const retry_options& retry, std::int64_t part_number) {
    const std::string part = "part " + std::to_string(part_number);
    part_verdict verdict{part_step::retry, upload_errc::part_failed, {}, false};
    if (!outcome.status) {
        const auto& ec = outcome.transport_error;
        if (ec == boost::asio::error::operation_aborted)
            return {part_step::cancelled, upload_errc::part_failed, {}, false};
        if (ec == http::errc::file_error)
            return fail(upload_errc::file_error, std::string(outcome.transport_what));
        if (!http::is_transient(ec))
            return fail(upload_errc::part_failed,
                        part + ": " + std::string(outcome.transport_what));
        tally.last_failure = outcome.transport_what;
    } else if (const unsigned status = *outcome.status; status >= 200 && status < 300) {
        // A matching ETag says the host stored exactly the bytes the hasher read; a host that
        // sends no MD5 as its ETag is taken at its word.
        const digest claimed = digest_from_hex(outcome.etag, 16);
        if (outcome.etag.empty() || claimed.size != 16 || claimed == outcome.part_md5)
            return {part_step::acknowledged, upload_errc::part_failed, {}, false};
        tally.etag_mismatch = true;
        tally.last_failure = "the ETag the upload host returned is not the MD5 of the part";
        verdict.rehash = true;
    } else if (status == 403) {
        // Presigned URLs expire: ask the service for fresh ones instead of failing.
        if (++tally.refreshes > retry.max_url_refreshes)
            return fail(upload_errc::part_failed, part +
                                                      ": the upload host still answers 403 after " +
                                                      std::to_string(retry.max_url_refreshes) +
                                                      " refreshes of the upload operations");
        return {part_step::refresh, upload_errc::part_failed, {}, false};
    } else if (api::is_transient_status(status)) {
        tally.last_failure = "the upload host answered HTTP " + std::to_string(status);
    } else {
        return fail(upload_errc::part_failed,
                    part + ": the upload host answered HTTP " + std::to_string(status));
    }
    if (++tally.failures >= retry.max_attempts)
        return fail(tally.etag_mismatch ? upload_errc::checksum_mismatch : upload_errc::part_failed,
                    part + " failed " + std::to_string(tally.failures) +
                        " times; last: " + tally.last_failure);
    return verdict;
}

} // namespace ascpp::upload::detail
