// The upload layer's error codes and their category.
#include <ascpp/upload/upload_error.hpp>

#include "../detail/error_category.hpp"

namespace ascpp::upload {

std::string_view to_string(upload_errc e) noexcept {
    switch (e) {
    case upload_errc::invalid_operations:
        return "invalid_operations";
    case upload_errc::file_error:
        return "file_error";
    case upload_errc::file_changed:
        return "file_changed";
    case upload_errc::part_failed:
        return "part_failed";
    case upload_errc::checksum_mismatch:
        return "checksum_mismatch";
    case upload_errc::journal_mismatch:
        return "journal_mismatch";
    case upload_errc::journal_error:
        return "journal_error";
    case upload_errc::not_awaiting_upload:
        return "not_awaiting_upload";
    case upload_errc::commit_failed:
        return "commit_failed";
    }
    return "unknown";
}

const boost::system::error_category& upload_category() noexcept {
    static const ascpp::detail::enum_category<upload_errc> instance(
        "ascpp.upload", [](upload_errc e) { return std::string(to_string(e)); });
    return instance;
}

} // namespace ascpp::upload
