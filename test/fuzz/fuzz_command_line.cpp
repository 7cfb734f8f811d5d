// Fuzz target: the command line. The input is the arguments after the program name, separated
// by NUL bytes. Any argv is either an invocation or an exit code: 0 after printing help or the
// version, 2 after printing a usage error; never a crash or an escaping exception.
#include "command_line.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> args{"ascpp"};
    std::string current;
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == 0) {
            args.push_back(std::move(current));
            current.clear();
        } else {
            current.push_back(static_cast<char>(data[i]));
        }
    }
    if (size > 0)
        args.push_back(std::move(current));
    if (args.size() > 64)
        return 0;
    std::vector<const char*> argv;
    for (const auto& a : args)
        argv.push_back(a.c_str());
    argv.push_back(nullptr);

    std::ostringstream out, err;
    const auto parsed =
        ascpp::cli::parse_command_line(static_cast<int>(args.size()), argv.data(), out, err);
    if (const int* code = std::get_if<int>(&parsed)) {
        if ((*code == 0 && out.str().empty()) || (*code == 2 && err.str().empty()) ||
            (*code != 0 && *code != 2))
            std::abort();
    }
    return 0;
}
