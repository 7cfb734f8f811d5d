// The ascpp program: parse the command line, run the command on an io_context, map the outcome
// to an exit code.
#pragma once

namespace ascpp::cli {

int run(int argc, const char* const* argv);

} // namespace ascpp::cli
