// The upload contenders (upload_contenders.hpp): ascpp's upload_file, curl --parallel and
// python3-aiohttp sending the same reserved parts, each run checked against the simulator's view.
#include "upload_contenders.hpp"

#include <ascpp/upload/upload_file.hpp>

#include <exception>
#include <fstream>
#include <future>

namespace ascpp_bench {

namespace upload = ascpp::upload;

namespace {

std::string cfg_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

// The simulator checks a commit's checksums when it settles the file (after its processing
// delay): waits for the verdicts on all `files` commits, bounded.
void check_checksum_verdict(bench_env& env, const std::string& who, std::size_t files) {
    std::uint64_t matched = 0;
    for (int i = 0; i < 400; ++i) {
        auto st = env.stats();
        auto& c = st.at("checksums").as_object();
        if (num(c, "mismatched") != 0 || num(c, "absent") != 0)
            fail(who + ": the simulator found a commit's checksums wrong or missing");
        matched = num(c, "matched");
        if (matched > files)
            fail(who + ": more checksum verdicts than commits");
        if (matched == files)
            return;
        std::this_thread::sleep_for(25ms);
    }
    fail(who + ": " + std::to_string(matched) + " of " + std::to_string(files) +
         " checksum verdicts from the simulator within 10 s");
}

// A part that arrives ahead of file order waits on disk for the simulator's whole-file digests,
// which reach it after the part's response, maybe after the contender is done: waits for them
// (bounded), so a contender's time and simulator CPU hold all the work its upload caused.
// Returns the seconds waited.
double wait_for_digests(bench_env& env, const std::string& who, std::size_t parts) {
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t digested = 0;
    for (int i = 0; i < 2000; ++i) {
        digested = num(env.stats(), "partsDigested");
        if (digested >= parts)
            return seconds_since(t0);
        std::this_thread::sleep_for(5ms);
    }
    fail(who + ": the simulator digested " + std::to_string(digested) + " of " +
         std::to_string(parts) + " parts within 10 s");
}

} // namespace

std::vector<api::background_asset_upload_file> reserve_files(bench_env& env, const std::string& app,
                                                             const std::string& tag, std::size_t n,
                                                             std::uint64_t size, int serial) {
    return env.run([&]() -> asio::awaitable<std::vector<api::background_asset_upload_file>> {
        api::background_asset_create_request pack_req;
        pack_req.app_id = app;
        pack_req.asset_pack_identifier = pack_identifier(tag, static_cast<std::size_t>(serial));
        auto pack = co_await env.client->create_background_asset(std::move(pack_req));
        std::vector<api::background_asset_upload_file> out;
        for (std::size_t i = 0; i < n; ++i) {
            api::background_asset_version_create_request ver_req;
            ver_req.background_asset_id = pack.data.id;
            auto version = co_await env.client->create_background_asset_version(std::move(ver_req));
            api::background_asset_upload_file_create_request uf;
            uf.background_asset_version_id = version.data.id;
            uf.asset_type = api::asset_type::asset;
            uf.file_name = "asset.bin";
            uf.file_size = static_cast<std::int64_t>(size);
            auto r = co_await env.client->create_background_asset_upload_file(std::move(uf));
            out.push_back(std::move(r.data));
        }
        co_return out;
    }());
}

const std::vector<api::delivery_file_upload_operation>&
operations(const api::background_asset_upload_file& f) {
    if (!f.attributes || !f.attributes->upload_operations)
        fail("the reservation has no upload operations");
    return *f.attributes->upload_operations;
}

void split_parts(const fs::path& file, const fs::path& dir,
                 const std::vector<api::delivery_file_upload_operation>& ops) {
    fs::create_directories(dir);
    std::ifstream in(file, std::ios::binary);
    std::vector<char> buf;
    for (auto& op : ops) {
        auto p = dir / ("part-" + std::to_string(*op.offset));
        if (fs::exists(p))
            continue;
        buf.resize(static_cast<std::size_t>(*op.length));
        in.seekg(*op.offset);
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    }
}

run_figures upload_ascpp(bench_env& env, const upload_set& set, std::size_t conc) {
    upload::upload_options o;
    o.limiter = std::make_shared<upload::limiter>(upload::limiter_options{conc, conc});
    env.reset_stats();
    auto cpu0 = cpu_seconds_self();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::future<upload::upload_result>> running;
    for (std::size_t i = 0; i < set.files.size(); ++i)
        running.push_back(asio::co_spawn(
            env.io, upload::upload_file(*env.client, set.reservations[i], set.files[i], o),
            asio::use_future));
    std::vector<upload::upload_result> results;
    std::exception_ptr first_error;
    for (auto& f : running) {
        try {
            results.push_back(f.get());
        } catch (...) {
            if (!first_error)
                first_error = std::current_exception();
        }
    }
    run_figures f;
    f.client_seconds = seconds_since(t0);
    if (first_error)
        std::rethrow_exception(first_error);
    f.seconds = f.client_seconds + wait_for_digests(env, "ascpp", set.parts);
    f.cpu = cpu_seconds_self() - cpu0;
    check_upload_stats(env.stats(), set.bytes, set.parts, "ascpp");
    check_checksum_verdict(env, "ascpp", set.files.size());
    if (o.limiter->stats().peak_active > conc)
        fail("ascpp: more part uploads at once than the limiter allows");
    for (std::size_t i = 0; i < results.size(); ++i)
        if (results[i].stats.parts_sent != operations(set.reservations[i]).size() ||
            results[i].stats.part_retries != 0)
            fail("ascpp: parts sent or retried unexpectedly");
    return f;
}

run_figures upload_curl(bench_env& env, const upload_set& set, const fs::path& dir,
                        std::size_t conc, bool hashing) {
    std::string cfg;
    for (std::size_t i = 0; i < set.reservations.size(); ++i) {
        for (auto& op : operations(set.reservations[i])) {
            if (!cfg.empty())
                cfg += "next\n";
            cfg += "url = " + cfg_quote(*op.url) + "\n";
            cfg += "request = " + cfg_quote(op.method.value_or("PUT")) + "\n";
            cfg +=
                "upload-file = " +
                cfg_quote((set.parts_dirs[i] / ("part-" + std::to_string(*op.offset))).string()) +
                "\n";
            cfg += "output = \"/dev/null\"\ncacert = " + cfg_quote(env.ca_file) + "\n";
            // Without this curl waits up to a second for a 100 Continue before each body.
            cfg += "header = \"Expect:\"\nfail\nsilent\nshow-error\n";
            if (op.request_headers)
                for (auto& h : *op.request_headers)
                    cfg +=
                        "header = " + cfg_quote(h.name.value_or("") + ": " + h.value.value_or("")) +
                        "\n";
        }
    }
    write_text(dir / "curl.cfg", cfg, true);
    env.reset_stats();
    const std::vector<std::string> curl = {"curl",
                                           "-sS",
                                           "--no-progress-meter",
                                           "--parallel",
                                           "--parallel-max",
                                           std::to_string(conc),
                                           "-K",
                                           (dir / "curl.cfg").string()};
    std::vector<std::string> argv = curl;
    if (hashing) {
        // What a curl user must add to commit: the file's SHA-256 and each part's MD5, computed
        // beside the upload by `openssl dgst` (which uses SHA-NI where sha256sum does not).
        auto quote = [](const std::string& s) { return "'" + s + "'"; };
        std::string files, parts;
        for (std::size_t i = 0; i < set.files.size(); ++i) {
            files += " " + quote(set.files[i].string());
            parts += " " + quote(set.parts_dirs[i].string()) + "/part-*";
        }
        std::string script = "openssl dgst -sha256" + files +
                             " >/dev/null & a=$!; openssl dgst -md5" + parts +
                             " >/dev/null & b=$!;";
        for (const auto& w : curl)
            script += " " + quote(w);
        // 120 and 121 are no curl exit codes: a failed hash shows as itself.
        script += "; c=$?; wait $a || exit 120; wait $b || exit 121; exit $c";
        argv = {"sh", "-c", script};
    }
    auto c = run_child(argv);
    if (c.exit_code != 0)
        fail("curl exited with " + std::to_string(c.exit_code));
    const double waited = wait_for_digests(env, hashing ? "curl+hash" : "curl", set.parts);
    check_upload_stats(env.stats(), set.bytes, set.parts, hashing ? "curl+hash" : "curl");
    return {c.wall + waited, c.wall, c.cpu};
}

run_figures upload_aiohttp(const settings& s, bench_env& env, const upload_set& set,
                           const fs::path& dir, std::size_t conc) {
    json::array ops;
    for (std::size_t i = 0; i < set.reservations.size(); ++i) {
        for (auto& op : operations(set.reservations[i])) {
            json::array headers;
            if (op.request_headers)
                for (auto& h : *op.request_headers)
                    headers.push_back(json::array{h.name.value_or(""), h.value.value_or("")});
            ops.push_back(json::object{{"method", op.method.value_or("PUT")},
                                       {"url", *op.url},
                                       {"file", set.files[i].string()},
                                       {"offset", *op.offset},
                                       {"length", *op.length},
                                       {"headers", std::move(headers)}});
        }
    }
    json::object job{
        {"mode", "upload"}, {"ca", env.ca_file}, {"concurrency", conc}, {"ops", std::move(ops)}};
    env.reset_stats();
    auto out = run_aiohttp(s, dir, job);
    const double waited = wait_for_digests(env, "python3-aiohttp", set.parts);
    check_upload_stats(env.stats(), set.bytes, set.parts, "python3-aiohttp");
    // The script's own timing: the requests, not the interpreter's start (nor its exit, which
    // the simulator's digests may overlap).
    const double requests = out.at("seconds").to_number<double>();
    return {requests + waited, requests, out.at("process_cpu").to_number<double>()};
}

} // namespace ascpp_bench
