// error_code_of: every failure an ascpp operation throws, as the error code of its layer. It
// lives in the top layer because it knows every layer's exception type.
#include <ascpp/api/error.hpp>
#include <ascpp/async.hpp>
#include <ascpp/auth/error.hpp>
#include <ascpp/http/error.hpp>
#include <ascpp/upload/upload_error.hpp>
#include <ascpp/workflow/state_watcher.hpp>

#include "../detail/error_category.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/multiple_exceptions.hpp>

#include <stdexcept>

namespace ascpp {

namespace {

std::string describe(workflow::watch_errc e) {
    switch (e) {
    case workflow::watch_errc::timed_out:
        return "timed out before the target state";
    case workflow::watch_errc::unreachable:
        return "a final state other than the target was reached";
    }
    return "unknown watch error";
}

boost::system::error_code classify(const std::exception_ptr& e, diagnostics* d) {
    try {
        std::rethrow_exception(e);
    } catch (const asio::multiple_exceptions& m) {
        // Parallel waits that failed together: the first failure says what happened.
        return classify(m.first_exception(), d);
    } catch (const api::api_error& x) {
        if (d) {
            d->message = x.what();
            d->http_status = x.status();
            d->operation = x.operation();
            d->request_id = x.request_id();
            d->apple_code = std::string(x.code());
        }
        return api::errc_for_status(x.status());
    } catch (const std::exception& x) {
        if (d)
            d->message = x.what();
        try {
            throw;
        } catch (const api::decode_error&) {
            return api::errc::invalid_response;
        } catch (const upload::upload_error& u) {
            return u.code();
        } catch (const workflow::watch_error& w) {
            return w.code();
        } catch (const boost::system::system_error& s) {
            return s.code(); // auth::key_error, operation_aborted
        } catch (const std::invalid_argument&) {
            return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        } catch (...) {
            return errc::failed;
        }
    } catch (...) {
        if (d)
            d->message = "unknown exception";
        return errc::failed;
    }
}

} // namespace

const boost::system::error_category& category() noexcept {
    // Every value means the same: the failure was none of the layers' own errors.
    static const detail::enum_category<errc> instance(
        "ascpp", [](errc) { return std::string("operation failed"); });
    return instance;
}

boost::system::error_code error_code_of(const std::exception_ptr& e, diagnostics* d) noexcept {
    if (d)
        *d = diagnostics{};
    if (!e)
        return {};
    try {
        return classify(e, d);
    } catch (...) { // a diagnostics string that could not be allocated
        return errc::failed;
    }
}

} // namespace ascpp

namespace ascpp::workflow {

const boost::system::error_category& watch_category() noexcept {
    static const ascpp::detail::enum_category<watch_errc> instance("ascpp.watch", describe);
    return instance;
}

} // namespace ascpp::workflow
