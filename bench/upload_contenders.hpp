// The upload contenders of the upload scenarios (scenario_upload.cpp): ascpp, one
// `curl --parallel` process (bare, and with the checksums computed beside it) and one
// python3-aiohttp process, each sending every part of the same
// reserved files to the simulator at a given concurrency. Each run is checked: the simulator must
// have received every byte and part exactly once (and, for ascpp, verified every commit's
// checksums), so a fast wrong upload cannot win.
#pragma once

#include "harness.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ascpp_bench {

// What a contender's run took: wall seconds until the simulator had digested every part
// (`seconds`), wall seconds until the client was done (`client_seconds`), and the client's CPU
// seconds. The simulator runs on the same cores and folds a part that arrives ahead of file order
// into the whole-file digests later, maybe after the client is done: ending the time there would
// leave out of one contender's time the server work its part order put off.
struct run_figures {
    double seconds = 0, client_seconds = 0, cpu = 0;
};

// The files of one upload run: their reservations and local paths, and their totals.
struct upload_set {
    std::vector<api::background_asset_upload_file> reservations;
    std::vector<fs::path> files;
    std::vector<fs::path> parts_dirs; // curl's pre-split parts, one directory per file
    std::uint64_t bytes = 0;
    std::size_t parts = 0;
};

// A fresh asset pack of `app` with `n` versions, each with a reservation of `size` bytes.
std::vector<api::background_asset_upload_file> reserve_files(bench_env& env, const std::string& app,
                                                             const std::string& tag, std::size_t n,
                                                             std::uint64_t size, int serial);

// A reservation's upload operations (its parts).
const std::vector<api::delivery_file_upload_operation>&
operations(const api::background_asset_upload_file& f);

// Pre-split parts for curl, named by offset (part sizes are the same in every reservation).
void split_parts(const fs::path& file, const fs::path& dir,
                 const std::vector<api::delivery_file_upload_operation>& ops);

// Every file of the set at once through the one client, part uploads bounded by one shared
// limiter of `conc`.
run_figures upload_ascpp(bench_env& env, const upload_set& set, std::size_t conc);
// One `curl --parallel` process for every part of every file of the set (split_parts first).
// `hashing`: with `openssl dgst -sha256` of the files and `openssl dgst -md5` of the parts
// running beside it, the checksums a commit needs, as a curl user would compute them.
run_figures upload_curl(bench_env& env, const upload_set& set, const fs::path& dir,
                        std::size_t conc, bool hashing);
// One python3-aiohttp process: every part of every file of the set, `conc` at a time.
run_figures upload_aiohttp(const settings& s, bench_env& env, const upload_set& set,
                           const fs::path& dir, std::size_t conc);

} // namespace ascpp_bench
