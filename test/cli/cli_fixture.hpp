// A simulator started in-process, an API key for it on disk, and a way to run the built `ascpp`
// against it as a user would.
#pragma once

#include "subprocess.hpp"

#include <ascpp/sim/simulator.hpp>

#include <boost/json/value.hpp>

#include <filesystem>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::test {

inline constexpr const char* app_id = "1234567890";

struct cli_fixture {
    std::filesystem::path dir; // a fresh temporary directory, removed at the end
    sim::simulator sim;
    sim::api_credentials key;
    std::filesystem::path key_file;
    // The configuration a user would export: ASC_KEY_ID, ASC_ISSUER_ID, ASC_PRIVATE_KEY_PATH,
    // ASC_API_URL, ASC_CA_FILE.
    std::map<std::string, std::string> env;

    explicit cli_fixture(sim::simulator_options options = default_options());
    ~cli_fixture();

    static sim::simulator_options default_options();

    // Runs `ascpp args...` with `env` (overridden by `extra_env`).
    process_result ascpp(std::vector<std::string> args,
                         std::map<std::string, std::string> extra_env = {}) const;
    // Starts it without waiting.
    std::unique_ptr<subprocess> start(std::vector<std::string> args,
                                      std::map<std::string, std::string> extra_env = {}) const;
    // Runs with --output json, requires exit code 0, and parses stdout with Boost.JSON.
    boost::json::value ascpp_json(std::vector<std::string> args) const;

    // A file of `size` pseudo-random bytes.
    std::filesystem::path make_file(const std::string& name, std::uint64_t size) const;
};

// The path of a built program (ASCPP_BIN_DIR).
std::string program(const std::string& name);

// The string at `path` (object keys) in a JSON document; throws when absent.
std::string str(const boost::json::value& v, std::initializer_list<std::string_view> path);

bool contains(const std::string& haystack, std::string_view needle);

} // namespace ascpp::test
