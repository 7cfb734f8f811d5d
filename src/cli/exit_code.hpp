// Exit codes of the ascpp command and the errors that select them.
#pragma once

#include <stdexcept>
#include <string>

namespace ascpp::cli {

// Documented in docs/cli.md ("Exit codes"); scripts depend on these values, never renumber them.
enum class exit_code : int {
    ok = 0,
    failed = 1,       // the operation failed: API error, processing FAILED, unreachable service
    usage = 2,        // bad arguments or configuration
    timed_out = 3,    // --timeout elapsed before the awaited state
    interrupted = 130 // SIGINT or SIGTERM (128 + SIGINT, as shells report it)
};

// A bad argument or a missing, unreadable or invalid setting. The message names the setting.
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The command ran but what it did failed (e.g. a version ended FAILED); the message says why.
class operation_failed : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The command's --timeout elapsed.
class timed_out : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace ascpp::cli
