// Turns whatever ended a command into the message a person reads, the JSON error document a
// script reads, and the exit code.
#pragma once

#include "exit_code.hpp"
#include "output.hpp"

#include <boost/json/object.hpp>

#include <exception>
#include <iosfwd>
#include <string>

namespace ascpp::cli {

// The command failed after printing its own result document on stdout (e.g. a publish whose
// version failed processing): the failure goes to stderr only, so stdout keeps one document.
class already_reported : public operation_failed {
public:
    using operation_failed::operation_failed;
};

// Why the command was stopped from outside, if it was.
enum class stop_reason { none, interrupted, timed_out };

struct failure {
    exit_code code = exit_code::failed;
    std::string message;           // one or more lines, without the "ascpp: " prefix
    boost::json::object error;     // the "error" member of the JSON error document
    bool document_printed = false; // stdout already has the command's document
};

// `waiting_for` describes the last state shown while waiting, for timeout messages.
failure describe_failure(std::exception_ptr e, stop_reason stopped, std::string_view waiting_for,
                         std::string_view timeout_text);

// Prints the failure on `err` ("ascpp: ..."), and in JSON mode also {"error": {...}} on stdout.
int report_failure(const failure& f, printer& out, std::ostream& err);

} // namespace ascpp::cli
