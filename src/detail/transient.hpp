// The one answer to "is this failure worth trying again, unchanged, a little later?" for a
// failure that reached a caller of the API client: the state watcher's polls and publish's
// reconcile rounds start from it.
//
// Transient: an api_error whose status is 408, 429 or 5xx (api::is_transient_status), and a
// transport_error the transport calls transient (http::is_transient: no connection, a timeout, a
// dropped connection, a malformed response, a raw socket error). Everything else is final:
// another status, a TLS or URL failure, a cancellation (operation_aborted), and any other
// exception.
//
// Unlike the rest of src/detail this is not header-only: it knows the API layer's error, so it is
// defined there (src/api/transient.cpp) and only that layer and those above may call it.
#pragma once

#include <exception>

namespace ascpp::detail {

bool is_transient_failure(const std::exception_ptr& failure) noexcept;

} // namespace ascpp::detail
