// The ascpp command tree: parses argv into an invocation (what to run, with which options).
#pragma once

#include "config.hpp"
#include "output.hpp"
#include "states.hpp"

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ascpp::cli {

enum class command {
    assets_list,
    assets_create,
    assets_get,
    assets_archive,
    assets_unarchive,
    versions_list,
    versions_create,
    versions_get,
    files_list,
    files_get,
    upload,
    publish,
    wait_version,
    wait_file,
    wait_release,
    releases_get,
    batch,
    webhook_listen,
};

struct global_options {
    config_flags config;
    std::optional<unsigned> concurrency; // --concurrency: parallel part uploads
    output_format output = output_format::table;
    bool verbose = false;
    bool quiet = false;
};

// The arguments of every command in one place; each command reads the members it declares.
struct command_args {
    std::string id;         // positional ID of get/archive/unarchive/wait
    std::string app;        // --app
    std::string identifier; // --identifier
    std::string asset;      // --asset
    std::string version;    // --version
    std::optional<bool> archived;
    std::vector<std::string> states; // --state, comma-separated or repeated
    std::optional<std::string> sort; // version | -version
    std::string asset_type;          // upload --type: ASSET | MANIFEST
    std::string file;                // upload FILE, batch FILE
    std::string archive;             // publish --archive
    std::optional<std::string> manifest;
    std::optional<std::string> journal;
    bool wait = false;
    bool force = false;                   // publish/batch --force: publish even an unchanged pack
    std::optional<release_channel> until; // publish --until
    release_channel channel = release_channel::internal_beta; // wait release --channel
    std::optional<std::chrono::milliseconds> timeout;
    // Webhooks (publish, batch, wait, webhook listen): where to listen, the secret, TLS files,
    // where the signature is, and the polls' interval while deliveries are expected.
    std::optional<std::string> webhook_listen; // ADDR:PORT
    std::optional<std::string> webhook_secret_file;
    std::optional<std::string> webhook_cert;
    std::optional<std::string> webhook_key;
    std::string webhook_signature_header = "X-Apple-SIGNATURE";
    std::string webhook_signature_prefix = "hmacsha256=";
    std::chrono::milliseconds webhook_fallback_poll{300'000};
};

struct invocation {
    command cmd{};
    global_options global;
    command_args args;
};

// The program's version, as `ascpp --version` prints it.
std::string version_text();

// Parses the command line. Returns the invocation to run, or the exit code when parsing alone
// finished the program (--help and --version print on `out` and give 0; bad usage prints the
// error and a hint on `err` and gives 2).
std::variant<invocation, int> parse_command_line(int argc, const char* const* argv,
                                                 std::ostream& out, std::ostream& err);

} // namespace ascpp::cli
