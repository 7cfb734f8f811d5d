// What one send of a part means for the part: the upload engine's decision after each attempt,
// without I/O, so that send_part only sends and applies the verdict.
#pragma once

#include <ascpp/upload/hasher.hpp>
#include <ascpp/upload/retry_options.hpp>
#include <ascpp/upload/upload_error.hpp>

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ascpp::upload::detail {

// How one send of a part ended: the host's answer, or the transport's failure.
struct part_outcome {
    std::optional<unsigned> status; // none when the send failed
    std::string_view etag;          // of a 2xx answer
    digest part_md5;                // the MD5 the hasher read, for a 2xx answer
    boost::system::error_code transport_error;
    std::string_view transport_what; // the transport_error's what()
};

// What earlier sends of the part left behind.
struct part_tally {
    unsigned failures = 0;  // sends that count towards retry_options::max_attempts
    unsigned refreshes = 0; // 403s answered by fetching fresh operations
    bool etag_mismatch = false;
    std::string last_failure;
};

enum class part_step {
    acknowledged, // the host stored the part: record it
    refresh,      // the URL expired: fetch fresh operations, then send again without waiting
    retry,        // wait the backoff of `failures`, then send again
    cancelled,    // the upload was cancelled: end with operation_aborted
    fail,         // end with upload_error(error, message)
};

struct part_verdict {
    part_step step = part_step::fail;
    upload_errc error = upload_errc::part_failed;
    std::string message;
    // The host stored other bytes than were hashed: hash the part again before the next send
    // (the file may have changed; the final identity check says so).
    bool rehash = false;
};

// Updates `tally` with the attempt and says what comes next.
part_verdict judge_part_attempt(const part_outcome& outcome, part_tally& tally,
                                const retry_options& retry, std::int64_t part_number);

} // namespace ascpp::upload::detail
