#include "../detail/transient.hpp"

#include <ascpp/api/error.hpp>
#include <ascpp/http/error.hpp>

namespace ascpp::detail {

bool is_transient_failure(const std::exception_ptr& failure) noexcept {
    if (!failure)
        return false;
    try {
        std::rethrow_exception(failure);
    } catch (const api::api_error& e) {
        return api::is_transient_status(e.status());
    } catch (const http::transport_error& e) {
        return http::is_transient(e.code());
    } catch (...) {
        return false;
    }
}

} // namespace ascpp::detail
