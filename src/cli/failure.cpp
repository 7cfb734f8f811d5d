#include "failure.hpp"

#include <ascpp/api/error.hpp>
#include <ascpp/auth/error.hpp>
#include <ascpp/http/error.hpp>
#include <ascpp/upload/upload_error.hpp>
#include <ascpp/workflow/state_watcher.hpp>

#include <boost/asio/error.hpp>
#include <boost/json/value_from.hpp>

#include <ostream>

namespace ascpp::cli {

namespace json = boost::json;

namespace {

failure make(exit_code code, std::string message, std::string_view kind) {
    failure f;
    f.code = code;
    f.message = std::move(message);
    f.error = {{"kind", kind}, {"message", f.message}};
    return f;
}

failure from_api_error(const api::api_error& e) {
    std::string m = e.operation() + " failed: HTTP " + std::to_string(e.status());
    if (!e.code().empty())
        m += " " + std::string(e.code());
    for (const auto& item : e.errors()) {
        m += "\n  " + item.code + ": " + item.title;
        if (item.detail && !item.detail->empty())
            m += " - " + *item.detail;
        if (item.source) {
            if (item.source->pointer)
                m += " (at " + *item.source->pointer + ")";
            else if (item.source->parameter)
                m += " (parameter " + *item.source->parameter + ")";
        }
    }
    if (e.errors().empty() && !e.body_excerpt().empty())
        m += "\n  " + e.body_excerpt();
    if (!e.request_id().empty())
        m += "\n  request id: " + e.request_id();
    if (e.status() == 401)
        m += "\n  The service did not accept the token: check the key id, the issuer id (none "
             "for an individual key) and the private key.";
    else if (e.status() == 403)
        m += "\n  The key is revoked or its role may not do this (needs Admin, App Manager or "
             "Developer).";

    failure f = make(exit_code::failed, m, "api");
    f.error["status"] = e.status();
    f.error["operation"] = e.operation();
    f.error["requestId"] =
        e.request_id().empty() ? json::value(nullptr) : json::value(e.request_id());
    json::array errors;
    for (const auto& item : e.errors())
        errors.push_back(json::value_from(item));
    f.error["errors"] = std::move(errors);
    return f;
}

failure from_transport_error(const http::transport_error& e) {
    if (e.code() == boost::asio::error::operation_aborted)
        return make(exit_code::interrupted, "cancelled", "interrupted");
    std::string m = "cannot complete the request: " + std::string(e.what());
    if (e.code() == http::errc::tls_failed)
        m += "\n  For the simulator, trust its CA with --ca-file (or ASC_CA_FILE).";
    else if (e.code() == http::errc::connect_failed || e.code() == http::errc::resolve_failed)
        m += "\n  Is the service reachable? (--api-url / ASC_API_URL)";
    auto f = make(exit_code::failed, m, "transport");
    f.error["code"] = e.code().message();
    return f;
}

failure from_watch_error(const workflow::watch_error& e) {
    std::string m = e.what();
    if (const auto& d = e.details(); d && d->errors)
        for (const auto& item : *d->errors)
            m += "\n  " + item.code.value_or("-") +
                 (item.description ? ": " + *item.description : "");
    auto f = make(e.why() == workflow::watch_error::reason::timed_out ? exit_code::timed_out
                                                                      : exit_code::failed,
                  m, e.why() == workflow::watch_error::reason::timed_out ? "timeout" : "failed");
    f.error["resourceType"] = e.resource_type();
    f.error["id"] = e.id();
    f.error["lastState"] = e.last_state();
    return f;
}

} // namespace

failure describe_failure(std::exception_ptr e, stop_reason stopped, std::string_view waiting_for,
                         std::string_view timeout_text) {
    // A stop from outside explains whatever error the cancellation surfaced as.
    if (stopped == stop_reason::interrupted)
        return make(exit_code::interrupted, "interrupted", "interrupted");
    if (stopped == stop_reason::timed_out) {
        std::string m = "timed out after " + std::string(timeout_text);
        if (!waiting_for.empty())
            m += " (last: " + std::string(waiting_for) + ")";
        return make(exit_code::timed_out, m, "timeout");
    }
    try {
        std::rethrow_exception(e);
    } catch (const already_reported& x) {
        auto f = make(exit_code::failed, x.what(), "failed");
        f.document_printed = true;
        return f;
    } catch (const usage_error& x) {
        return make(exit_code::usage, x.what(), "usage");
    } catch (const timed_out& x) {
        return make(exit_code::timed_out, x.what(), "timeout");
    } catch (const operation_failed& x) {
        return make(exit_code::failed, x.what(), "failed");
    } catch (const api::api_error& x) {
        return from_api_error(x);
    } catch (const workflow::watch_error& x) {
        return from_watch_error(x);
    } catch (const upload::upload_error& x) {
        auto f = make(exit_code::failed, std::string("upload failed: ") + x.what(), "upload");
        f.error["code"] = upload::to_string(x.code());
        if (x.part_number())
            f.error["partNumber"] = *x.part_number();
        return f;
    } catch (const auth::key_error& x) {
        return make(exit_code::usage, std::string("private key: ") + x.what(), "configuration");
    } catch (const http::transport_error& x) {
        return from_transport_error(x);
    } catch (const api::decode_error& x) {
        return make(exit_code::failed,
                    std::string("the service answered with an unexpected document: ") + x.what(),
                    "decode");
    } catch (const boost::system::system_error& x) {
        if (x.code() == boost::asio::error::operation_aborted)
            return make(exit_code::interrupted, "cancelled", "interrupted");
        return make(exit_code::failed, x.what(), "system");
    } catch (const std::exception& x) {
        return make(exit_code::failed, x.what(), "internal");
    } catch (...) {
        return make(exit_code::failed, "unknown error", "internal");
    }
}

int report_failure(const failure& f, printer& out, std::ostream& err) {
    err << "ascpp: " << f.message << '\n';
    err.flush();
    if (out.format() == output_format::json && !f.document_printed) {
        json::object error = f.error;
        error["exitCode"] = static_cast<int>(f.code);
        out.print_json(json::object{{"error", std::move(error)}});
    }
    return static_cast<int>(f.code);
}

} // namespace ascpp::cli
