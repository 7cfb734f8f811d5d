// Fuzz target: the batch-file parser (JSON and the YAML subset). The first byte picks the
// format; the rest is the file's text. Any text yields checked entries or a batch_file_error:
// never a crash, another exception type, or an entry that breaks the promises of batch.hpp
// (numeric app id, an identifier, an existing regular file inside the batch directory).
#include <ascpp/workflow/batch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

// A batch directory with files the inputs may name (a.aar, packs/b.aar, m.json), a directory
// (d) and a symbolic link out of the tree (out.aar -> /etc/hostname); removed at exit.
struct batch_directory {
    fs::path path = fs::temp_directory_path() / ("ascpp-fuzz-batch-" + std::to_string(::getpid()));
    batch_directory() {
        fs::create_directories(path / "packs");
        fs::create_directories(path / "d");
        for (const char* f : {"a.aar", "packs/b.aar", "m.json"})
            std::ofstream(path / f) << "x";
        std::error_code ec;
        fs::create_symlink("/etc/hostname", path / "out.aar", ec);
    }
    ~batch_directory() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

const fs::path& batch_dir() {
    static const batch_directory dir;
    return dir.path;
}

bool inside(const fs::path& p, const fs::path& dir) {
    auto rel = fs::weakly_canonical(p).lexically_relative(fs::canonical(dir));
    return !rel.empty() && *rel.begin() != "..";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::string_view name = (data[0] & 1) ? "batch.json" : "batch.yaml";
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto& dir = batch_dir();
    std::vector<ascpp::workflow::batch_entry> entries;
    try {
        entries = ascpp::workflow::parse_batch(text, dir, name);
    } catch (const ascpp::workflow::batch_file_error& e) {
        if (std::string_view(e.what()).empty())
            std::abort();
        return 0;
    }
    for (const auto& e : entries) {
        const bool app_ok =
            !e.app_id.empty() && e.app_id.find_first_not_of("0123456789") == std::string::npos;
        if (!app_ok || e.asset_pack_identifier.empty() || !fs::is_regular_file(e.asset) ||
            !inside(e.asset, dir) ||
            (e.manifest && (!fs::is_regular_file(*e.manifest) || !inside(*e.manifest, dir))))
            std::abort();
    }
    return 0;
}
