// The scenarios of ascpp-bench, one file each (main.cpp runs those asked for, in this order).
// Each prints its table, checks every contender's result (throwing when one is wrong) and
// returns its entry of results.json, whose "name" is the one given here.
#pragma once

#include "harness.hpp"

#include <ostream>
#include <string>

namespace ascpp_bench {

// upload (upload_throughput): one file sent by ascpp, curl and aiohttp at each concurrency, and
// ascpp's best against the CPU ceiling. `plot`: concurrency and each contender's median MiB/s.
json::object scenario_upload(const settings& s, bench_env& env, const fs::path& dir,
                             std::ostream& plot);
// upload-many (upload_many_files): the same with many files sent at once.
json::object scenario_upload_many(const settings& s, bench_env& env, const fs::path& dir,
                                  std::ostream& plot);
// api (api_call_cost): sequential GETs, pooled and fresh connections, curl and aiohttp.
json::object scenario_api(const settings& s, bench_env& env, const fs::path& dir);
// publish (publish_economy): the API requests of one publish, and of a batch, per pack.
json::object scenario_publish(const settings& s, bench_env& env, const fs::path& dir);
// Webhooks: a batch waited on the simulator's deliveries, clean and with delivery faults.
json::object scenario_webhooks(const settings& s, bench_env& env, const fs::path& dir);
// republish (republish_unchanged): a batch published again with a few packs changed: bytes and
// API requests of the unchanged packs, and the local hashing's cost.
json::object scenario_republish(const settings& s, bench_env& env, const fs::path& dir);
// polls (polls_and_pacing): a batch waited for COMPLETE under realistic (scaled) processing
// times, with today's poll policy and with timed looks; then under a scaled rate limit.
json::object scenario_polls(const settings& s, bench_env& env, const fs::path& dir);
// watch (watch_at_scale): state_watcher against one GET per watcher, on thousands of versions.
json::object scenario_watch(const settings& s, bench_env& env, const fs::path& dir);
// memory (memory_bound): peak RSS of `ascpp publish` of a big file against a small one.
json::object scenario_memory(const settings& s, bench_env& env, const fs::path& dir);

// `ascpp-bench --watch-worker JOB`: one contender of the watch scenario in a process of its own.
int watch_worker(const std::string& job_path);

} // namespace ascpp_bench
