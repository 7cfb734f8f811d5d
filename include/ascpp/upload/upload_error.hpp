// Errors of the upload layer. API and transport failures keep their own types
// (api::api_error, http::transport_error); cancellation is boost::system::system_error with
// asio::error::operation_aborted, as everywhere in Asio.
#pragma once

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ascpp::upload {

enum class upload_errc {
    invalid_operations = 1, // the reservation's operations do not describe the file (see what())
    file_error,             // the local file cannot be opened or read
    file_changed,           // the local file changed (size or modification time) during the upload
    part_failed,            // a part kept failing after every retry, or failed for good (4xx)
    checksum_mismatch,      // a part's ETag is not the MD5 of the bytes sent, after every retry
    journal_mismatch,       // the journal describes another file or upload
    journal_error,          // the journal file cannot be read or written
    not_awaiting_upload,    // the upload file is no longer AWAITING_UPLOAD and was not committed
    commit_failed,          // the commit was refused
};

std::string_view to_string(upload_errc e) noexcept;

const boost::system::error_category& upload_category() noexcept;

inline boost::system::error_code make_error_code(upload_errc e) noexcept {
    return {static_cast<int>(e), upload_category()};
}

class upload_error : public std::runtime_error {
public:
    upload_error(upload_errc code, const std::string& message,
                 std::optional<std::int64_t> part_number = std::nullopt)
        : std::runtime_error(message), code_(code), part_number_(part_number) {}

    upload_errc code() const noexcept { return code_; }
    // The partNumber of the operation that failed, when one did.
    std::optional<std::int64_t> part_number() const noexcept { return part_number_; }

private:
    upload_errc code_;
    std::optional<std::int64_t> part_number_;
};

} // namespace ascpp::upload

namespace boost::system {
template <>
struct is_error_code_enum<ascpp::upload::upload_errc> : std::true_type {};
} // namespace boost::system
