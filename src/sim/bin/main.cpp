// ascpp-sim: a local App Store Connect for the Background Assets endpoints. Prints where it
// listens and the CA to trust, then serves until SIGINT or SIGTERM.
#include <ascpp/auth/private_key.hpp>
#include <ascpp/sim/simulator.hpp>

#include <CLI/CLI.hpp>

#include <boost/json.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <pthread.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace sim = ascpp::sim;
namespace json = boost::json;

namespace {

// "250ms", "2s", "5m", "1h", "7d".
std::chrono::milliseconds parse_duration(const std::string& text) {
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        throw CLI::ValidationError("'" + text + "' is not a duration (e.g. 250ms, 2s, 5m, 1h)");
    }
    auto unit = text.substr(used);
    double ms = unit == "ms"  ? 1
                : unit == "s" ? 1e3
                : unit == "m" ? 6e4
                : unit == "h" ? 3.6e6
                : unit == "d" ? 8.64e7
                              : -1;
    if (ms < 0 || value < 0)
        throw CLI::ValidationError("'" + text + "' is not a duration (e.g. 250ms, 2s, 5m, 1h)");
    return std::chrono::milliseconds(static_cast<std::int64_t>(value * ms));
}

// "5242880", "5MiB", "64KiB", "1MB".
std::uint64_t parse_size(const std::string& text) {
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        throw CLI::ValidationError("'" + text + "' is not a size (e.g. 5MiB, 64KiB, 1000000)");
    }
    auto unit = text.substr(used);
    double f = unit.empty() || unit == "B"    ? 1
               : unit == "K" || unit == "KiB" ? 1024.0
               : unit == "KB"                 ? 1e3
               : unit == "M" || unit == "MiB" ? 1024.0 * 1024
               : unit == "MB"                 ? 1e6
               : unit == "G" || unit == "GiB" ? 1024.0 * 1024 * 1024
               : unit == "GB"                 ? 1e9
                                              : -1;
    if (f < 0 || value < 1)
        throw CLI::ValidationError("'" + text + "' is not a size (e.g. 5MiB, 64KiB, 1000000)");
    return static_cast<std::uint64_t>(value * f);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, sep))
        out.push_back(item);
    if (!s.empty() && s.back() == sep)
        out.emplace_back();
    return out;
}

// ROUTE:KIND:RATE[:PARAM]
sim::fault_rule parse_fault(const std::string& spec) {
    auto parts = split(spec, ':');
    if (parts.size() < 3 || parts.size() > 4)
        throw CLI::ValidationError("--fault '" + spec + "': expected ROUTE:KIND:RATE[:PARAM]");
    sim::fault_rule r;
    r.route = parts[0];
    const std::string& kind = parts[1];
    if (kind == "http_error")
        r.kind = sim::fault_kind::http_error;
    else if (kind == "latency")
        r.kind = sim::fault_kind::latency;
    else if (kind == "drop_connection")
        r.kind = sim::fault_kind::drop_connection;
    else if (kind == "stall")
        r.kind = sim::fault_kind::stall;
    else if (kind == "expire_upload_url")
        r.kind = sim::fault_kind::expire_upload_url;
    else if (kind == "fail_processing")
        r.kind = sim::fault_kind::fail_processing;
    else
        throw CLI::ValidationError("--fault '" + spec + "': unknown kind '" + kind + "'");
    try {
        r.rate = std::stod(parts[2]);
    } catch (const std::exception&) {
        r.rate = -1;
    }
    if (!(r.rate >= 0 && r.rate <= 1))
        throw CLI::ValidationError("--fault '" + spec + "': RATE must be from 0 to 1");
    if (parts.size() == 4) {
        const std::string& p = parts[3];
        if (r.kind == sim::fault_kind::http_error) {
            if (p != "500" && p != "503" && p != "429")
                throw CLI::ValidationError("--fault '" + spec +
                                           "': status must be 500, 503 or 429");
            r.status = static_cast<unsigned>(std::stoul(p));
        } else if (r.kind == sim::fault_kind::latency || r.kind == sim::fault_kind::stall) {
            r.delay = parse_duration(p);
        } else if (r.kind == sim::fault_kind::fail_processing) {
            r.file_name = p;
        } else {
            throw CLI::ValidationError("--fault '" + spec + "': this kind takes no PARAM");
        }
    }
    return r;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_private(const std::filesystem::path& path, const std::string& text) {
    // Created 0600 before anything secret is written.
    auto old = ::umask(077);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ::umask(old);
    out << text;
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"ascpp-sim: a local App Store Connect for the Background Assets endpoints.\n"
                 "Serves Apple's 17 operations over HTTPS with JWT auth, rate limits, JSON:API "
                 "paging, a separate upload host for part PUTs, state machines on timers, a "
                 "/sim/ control API and seeded fault injection. Stops on SIGINT or SIGTERM."};
    app.set_help_flag("-h,--help", "Print this help and exit");
    sim::simulator_options o;
    std::optional<std::string> tls_cert, tls_key, upload_tls_cert, upload_tls_key, ca_file,
        work_dir, generate_key, info_file, part_size, url_lifetime, upload_delay, version_delay,
        release_delay, version_per_mib, window, token_lifetime, skew, latency;
    std::vector<std::string> accept_keys, apps, faults;
    bool individual = false, no_shuffle = false;

    app.add_option("--api-address", o.api_address,
                   "Address of the API origin: IPv4 or IPv6 (::1 or [::1])")
        ->capture_default_str();
    app.add_option("--api-port", o.api_port, "Port of the API origin (0: any free port)")
        ->capture_default_str();
    app.add_option("--upload-address", o.upload_address,
                   "Address of the upload host, IPv4 or IPv6 (127.0.0.2 falls back to "
                   "127.0.0.1 when it cannot be bound)")
        ->capture_default_str();
    app.add_option("--upload-port", o.upload_port, "Port of the upload host (0: any free port)")
        ->capture_default_str();
    app.add_option("--tls-cert", tls_cert,
                   "PEM certificate chain of the API origin (default: issued by a generated CA)");
    app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
    app.add_option("--upload-tls-cert", upload_tls_cert,
                   "PEM certificate chain of the upload host (default: issued by a generated CA)");
    app.add_option("--upload-tls-key", upload_tls_key, "PEM private key of --upload-tls-cert");
    app.add_option("--ca-file", ca_file,
                   "CA (PEM) that issued the --tls-cert/--upload-tls-cert certificates; it is "
                   "added to the CA file clients are told to trust");
    app.add_option("--work-dir", work_dir,
                   "Directory for the generated CA (ca.pem) and spooled parts (default: a "
                   "temporary directory removed on exit)");
    app.add_option("--accept-key", accept_keys,
                   "Accept tokens of an API key: KEY_ID,ISSUER_ID,PUBLIC_KEY_PEM_FILE (empty "
                   "ISSUER_ID for an individual key, whose tokens carry sub \"user\"); "
                   "repeatable");
    app.add_option("--generate-key", generate_key,
                   "Generate an API key, accept it, write its private key to "
                   "DIR/AuthKey_<KEY_ID>.p8 and print its key id and issuer id");
    app.add_flag("--individual-key", individual,
                 "Make the --generate-key key an individual key (no issuer id)");
    app.add_option("--app", apps, "An app id that exists (repeatable; default 1234567890)");
    app.add_option("--part-size", part_size, "Upload part size, e.g. 5MiB (default 5MiB)");
    app.add_option("--url-lifetime", url_lifetime, "How long part URLs stay valid (default 7d)");
    app.add_option("--upload-processing-delay", upload_delay,
                   "UPLOAD_COMPLETE to COMPLETE/FAILED after a commit (default 100ms)");
    app.add_option("--version-processing-delay", version_delay,
                   "Version PROCESSING to COMPLETE/FAILED (default 200ms)");
    app.add_option("--version-processing-per-mib", version_per_mib,
                   "Version processing time added per MiB of the asset file (default 0)");
    app.add_option("--version-processing-spread", o.version_processing_spread,
                   "Spread of version processing times: each is the delay times exp(N(0, "
                   "spread^2)), drawn from the seed (default 0: fixed)")
        ->check(CLI::Range(0.0, 5.0));
    app.add_option("--release-processing-delay", release_delay,
                   "PROCESSING_FOR_TESTING/_DISTRIBUTION to READY_* (default 100ms)");
    app.add_option("--latency", latency,
                   "Hold each part's response this long after its body arrived, as a network "
                   "round trip to the upload host would (e.g. 40ms; default 0)");
    app.add_option("--rate-limit", o.rate_limit, "Requests per API key per window")
        ->capture_default_str();
    app.add_option("--rate-limit-window", window, "The rolling rate-limit window (default 1h)");
    app.add_option("--max-token-lifetime", token_lifetime,
                   "Longest accepted exp - iat (default 20m)");
    app.add_option("--clock-skew", skew, "Tolerated clock skew for iat (default 60s)");
    app.add_option("--page-limit", o.default_page_limit, "Page size when a request has no limit")
        ->capture_default_str();
    app.add_option("--fault", faults,
                   "A fault rule ROUTE:KIND:RATE[:PARAM] (repeatable). ROUTE: an operationId, "
                   "upload_part, or * (every API operation). KIND: http_error (PARAM status "
                   "500|503|429), latency (PARAM delay, e.g. 200ms), drop_connection, stall "
                   "(PARAM how long to hold), expire_upload_url, fail_processing (PARAM a "
                   "fileName). RATE: 0..1. Example: --fault '*:http_error:0.05:503'");
    app.add_option("--seed", o.seed, "Seed of fault injection, ids and part order")
        ->capture_default_str();
    app.add_option("--threads", o.threads, "Threads serving requests")->capture_default_str();
    app.add_flag("--no-shuffle", no_shuffle, "List upload operations in part order");
    bool hide_checksums = false;
    app.add_flag("--no-checksums-in-responses", hide_checksums,
                 "Leave sourceFileChecksums out of upload files when they are read (a service "
                 "that does not return them)");
    app.add_option("--info-file", info_file,
                   "Write {apiUrl, uploadUrl, controlUrl, caFile, keys} as JSON to this file "
                   "once listening (for scripts)");

    try {
        app.parse(argc, argv);
        if (tls_cert.has_value() != tls_key.has_value())
            throw CLI::ValidationError("--tls-cert and --tls-key go together");
        if (upload_tls_cert.has_value() != upload_tls_key.has_value())
            throw CLI::ValidationError("--upload-tls-cert and --upload-tls-key go together");
        if (tls_cert)
            o.api_tls = sim::tls_files{*tls_cert, *tls_key};
        if (upload_tls_cert)
            o.upload_tls = sim::tls_files{*upload_tls_cert, *upload_tls_key};
        if (ca_file)
            o.ca_file = *ca_file;
        if (work_dir)
            o.work_dir = *work_dir;
        if (!apps.empty())
            o.app_ids = apps;
        if (part_size)
            o.part_size = parse_size(*part_size);
        if (url_lifetime)
            o.upload_url_lifetime =
                std::chrono::duration_cast<std::chrono::seconds>(parse_duration(*url_lifetime));
        if (latency)
            o.upload_latency = parse_duration(*latency);
        if (upload_delay)
            o.upload_processing_delay = parse_duration(*upload_delay);
        if (version_delay)
            o.version_processing_delay = parse_duration(*version_delay);
        if (version_per_mib)
            o.version_processing_per_mib = parse_duration(*version_per_mib);
        if (release_delay)
            o.release_processing_delay = parse_duration(*release_delay);
        if (window)
            o.rate_limit_window = parse_duration(*window);
        if (token_lifetime)
            o.max_token_lifetime =
                std::chrono::duration_cast<std::chrono::seconds>(parse_duration(*token_lifetime));
        if (skew)
            o.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(parse_duration(*skew));
        for (auto& f : faults)
            o.faults.push_back(parse_fault(f));
        o.shuffle_upload_operations = !no_shuffle;
        o.return_source_file_checksums = !hide_checksums;
        if (o.default_page_limit < 1 || o.default_page_limit > 200)
            throw CLI::ValidationError("--page-limit must be from 1 to 200");
        if (o.rate_limit < 1)
            throw CLI::ValidationError("--rate-limit must be at least 1");
        if (o.threads < 1)
            throw CLI::ValidationError("--threads must be at least 1");
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    // SIGINT and SIGTERM are taken by sigwait below: block them before any thread starts, so
    // every thread inherits the mask and none is interrupted.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    try {
        sim::simulator s(o);
        json::array keys;
        for (auto& spec : accept_keys) {
            auto parts = split(spec, ',');
            if (parts.size() != 3)
                throw std::runtime_error("--accept-key '" + spec +
                                         "': expected KEY_ID,ISSUER_ID,PUBLIC_KEY_PEM_FILE");
            s.add_api_key(parts[0], parts[1], read_text(parts[2]));
            keys.push_back(json::object{{"keyId", parts[0]}, {"issuerId", parts[1]}});
        }
        if (generate_key) {
            auto c = s.create_api_key(individual);
            std::filesystem::create_directories(*generate_key);
            auto path = std::filesystem::path(*generate_key) / ("AuthKey_" + c.key_id + ".p8");
            write_private(path, c.private_key_pem);
            std::cout << "ascpp-sim: generated key " << c.key_id;
            if (!c.individual)
                std::cout << ", issuer " << c.issuer_id;
            else
                std::cout << " (individual)";
            std::cout << ", private key " << path.string() << "\n";
            keys.push_back(json::object{
                {"keyId", c.key_id}, {"issuerId", c.issuer_id}, {"privateKeyFile", path.string()}});
        }
        std::cout << "ascpp-sim: API        " << s.api_url() << "\n"
                  << "ascpp-sim: upload     " << s.upload_url() << "\n"
                  << "ascpp-sim: control    " << s.api_url() << "/sim\n"
                  << "ascpp-sim: CA         " << s.ca_file().string() << "\n";
        std::string app_list;
        for (auto& a : o.app_ids)
            app_list += (app_list.empty() ? "" : ", ") + a;
        std::cout << "ascpp-sim: apps       " << app_list << "\n";
        if (keys.empty())
            std::cout << "ascpp-sim: no API key is accepted yet: use --generate-key, "
                         "--accept-key or POST /sim/keys\n";
        std::cout << std::flush;
        if (info_file) {
            json::object info{{"apiUrl", s.api_url()},
                              {"uploadUrl", s.upload_url()},
                              {"controlUrl", s.api_url() + "/sim"},
                              {"caFile", s.ca_file().string()},
                              {"keys", keys}};
            // Written whole under a temporary name, then renamed: readers never see half.
            auto tmp = *info_file + ".tmp";
            {
                std::ofstream out(tmp, std::ios::trunc);
                out << json::serialize(info) << "\n";
                if (!out)
                    throw std::runtime_error("cannot write " + tmp);
            }
            std::filesystem::rename(tmp, *info_file);
        }

        int sig = 0;
        sigwait(&signals, &sig);
        std::cout << "ascpp-sim: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping\n"
                  << std::flush;
        s.stop();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "ascpp-sim: " << e.what() << "\n";
        return 1;
    }
}
