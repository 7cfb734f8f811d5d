#include "upload_host.hpp"

#include "ordered_part_digests.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <fstream>
#include <optional>
#include <vector>

namespace ascpp::sim {

namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::size_t chunk_size = 256 * 1024;
// Manifests are small JSON documents; larger MANIFEST files are not inspected.
constexpr std::uint64_t max_inspected_manifest = 1024 * 1024;

auto tuple_awaitable() {
    return asio::as_tuple(asio::use_awaitable);
}

// S3-style error answer of the object store.
response_type store_error(unsigned status, std::string_view code, std::string_view message,
                          unsigned version) {
    response_type res{static_cast<http::status>(status), version};
    res.set(http::field::content_type, "application/xml");
    res.body() = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + std::string(code) +
                 "</Code><Message>" + std::string(message) + "</Message></Error>\n";
    res.prepare_payload();
    return res;
}

struct part_receipt {
    std::string file_id;
    std::size_t index = 0;
    std::uint64_t length = 0;
    bool direct = false; // extending the whole-file digests while receiving
    std::optional<digest> file_md5, file_sha256;
    std::filesystem::path spool_path;
    std::ofstream spool;
    digest part_md5{digest::algorithm::md5};
    bool keep_manifest = false;
    std::string manifest_bytes;
};

void post_catch_up(service& svc, const std::string& file_id);

// The whole-file digests of a committed file are complete: settle it once the processing delay
// since the commit has passed.
void schedule_verdict_locked(service& svc, upload_file_record& f);

void catch_up(service& svc, const std::string& file_id) {
    // Folds spooled parts into the whole-file digests, in order, for as long as the next one is
    // waiting on disk. Runs on the hashing pool: these are blocking file reads.
    std::vector<char> buffer;
    for (;;) {
        std::filesystem::path path;
        std::optional<digest> md5, sha;
        std::size_t index = 0;
        std::uint64_t length = 0;
        {
            std::lock_guard lock(svc.mutex);
            auto* f = svc.db.find_upload_file(file_id);
            if (!f || f->digest_busy)
                return;
            if (f->next_part >= f->parts.size()) {
                if (f->committed && !f->verdict_scheduled)
                    schedule_verdict_locked(svc, *f);
                return;
            }
            auto& p = f->parts[f->next_part];
            if (!p.received || p.spool.empty())
                return;
            f->digest_busy = true;
            path = p.spool;
            index = f->next_part;
            length = p.length;
            md5 = f->file_md5;
            sha = f->file_sha256;
        }
        buffer.resize(1024 * 1024);
        std::ifstream in(path, std::ios::binary);
        std::uint64_t got = 0;
        while (in && got < length) {
            in.read(buffer.data(), static_cast<std::streamsize>(
                                       std::min<std::uint64_t>(buffer.size(), length - got)));
            auto n = static_cast<std::size_t>(in.gcount());
            if (n == 0)
                break;
            std::span<const unsigned char> bytes(
                reinterpret_cast<const unsigned char*>(buffer.data()), n);
            md5->update(bytes);
            sha->update(bytes);
            got += n;
        }
        in.close();
        std::lock_guard lock(svc.mutex);
        auto* f = svc.db.find_upload_file(file_id);
        if (!f) {
            std::error_code ec;
            std::filesystem::remove(path, ec);
            return;
        }
        f->digest_busy = false;
        auto& p = f->parts[index];
        if (p.spool != path || f->next_part != index)
            continue; // replaced by a newer copy meanwhile: digest that one instead
        if (got != length && f->digest_problem.empty())
            f->digest_problem = "part " + std::to_string(p.part_number) +
                                " could not be read back from the simulator's spool";
        f->file_md5 = std::move(*md5);
        f->file_sha256 = std::move(*sha);
        p.in_file_digest = true;
        svc.stats.part_digested();
        std::error_code ec;
        std::filesystem::remove(path, ec);
        p.spool.clear();
        ++f->next_part;
    }
}

void post_catch_up(service& svc, const std::string& file_id) {
    if (svc.stopping)
        return;
    asio::post(svc.hash_pool, [&svc, file_id] { catch_up(svc, file_id); });
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), ::tolower);
    return s;
}

// "hex" or "hex-N" or "hex-N-size" (Apple's sequential form): the hex and the part count.
std::pair<std::string, std::optional<std::uint64_t>> split_composite(std::string_view v) {
    auto dash = v.find('-');
    if (dash == std::string_view::npos)
        return {lower(std::string(v)), std::nullopt};
    auto rest = v.substr(dash + 1);
    auto dash2 = rest.find('-');
    auto count = rest.substr(0, dash2);
    std::uint64_t n = 0;
    for (char c : count) {
        if (c < '0' || c > '9')
            return {lower(std::string(v)), std::nullopt};
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return {lower(std::string(v.substr(0, dash))), n};
}

struct checksum_check {
    bool given = false;
    std::vector<state_detail> errors;
};

checksum_check check_checksums(const upload_file_record& f) {
    checksum_check out;
    std::string md5 = f.file_md5.hex(), sha = f.file_sha256.hex();
    auto mismatch = [&](const std::string& what, const std::string& given,
                        const std::string& actual) {
        out.errors.push_back({"CHECKSUM_MISMATCH",
                              what + " is " + given + " but the uploaded bytes have " + actual});
    };
    auto check_file_hash = [&](const std::string& what, const std::string& hash,
                               std::optional<std::string> algorithm) {
        out.given = true;
        if (!f.digest_problem.empty()) {
            out.errors.push_back({"CHECKSUM_UNVERIFIABLE", f.digest_problem});
            return;
        }
        std::string h = lower(hash);
        if (!algorithm)
            algorithm = h.size() == 64 ? "SHA_256" : "MD5";
        const std::string& actual = *algorithm == "SHA_256" ? sha : md5;
        if (h != actual)
            mismatch(what + " (" + *algorithm + ")", h, actual);
    };
    if (f.source_file_checksums) {
        auto& cs = *f.source_file_checksums;
        if (auto* file = cs.if_contains("file"); file && file->is_object()) {
            auto& o = file->get_object();
            if (auto* h = o.if_contains("hash"); h && h->is_string()) {
                std::optional<std::string> alg;
                if (auto* a = o.if_contains("algorithm"); a && a->is_string())
                    alg = std::string(a->get_string());
                check_file_hash("sourceFileChecksums.file", std::string(h->get_string()), alg);
            }
        }
        if (auto* comp = cs.if_contains("composite"); comp && comp->is_object()) {
            if (auto* h = comp->get_object().if_contains("hash"); h && h->is_string()) {
                out.given = true;
                // S3-multipart style: MD5 over the binary MD5s of the parts, in order.
                digest composite(digest::algorithm::md5);
                for (auto& p : f.parts)
                    composite.update(p.md5);
                std::string actual = composite.hex();
                auto [hex, count] = split_composite(std::string(h->get_string()));
                if (hex != actual)
                    mismatch("sourceFileChecksums.composite (MD5)", hex, actual);
                else if (count && *count != f.parts.size())
                    out.errors.push_back({"CHECKSUM_MISMATCH",
                                          "sourceFileChecksums.composite names " +
                                              std::to_string(*count) + " parts but " +
                                              std::to_string(f.parts.size()) + " were uploaded"});
            }
        }
    }
    if (f.source_file_checksum)
        check_file_hash("sourceFileChecksum", *f.source_file_checksum, std::nullopt);
    return out;
}

// A MANIFEST's JSON: its assetPackID must name the pack; its platforms become the version's.
void inspect_manifest(service& svc, upload_file_record& f, std::vector<state_detail>& errors,
                      std::vector<state_detail>& warnings) {
    if (f.file_size > max_inspected_manifest) {
        warnings.push_back(
            {"MANIFEST_NOT_INSPECTED", "The manifest is larger than the simulator inspects"});
        return;
    }
    std::string text;
    for (auto& p : f.parts)
        text += p.manifest_bytes;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        errors.push_back({"MANIFEST_INVALID", "The manifest is not a JSON object"});
        return;
    }
    auto& o = v.get_object();
    auto* version = svc.db.find_version(f.version_id);
    auto* asset = version ? svc.db.find_asset(version->asset_id) : nullptr;
    if (auto* id = o.if_contains("assetPackID")) {
        if (!id->is_string() || !asset || id->get_string() != asset->asset_pack_identifier)
            errors.push_back({"MANIFEST_ASSET_PACK_ID_MISMATCH",
                              "The manifest's assetPackID does not match the asset pack's "
                              "assetPackIdentifier"});
    } else {
        errors.push_back({"MANIFEST_INVALID", "The manifest has no assetPackID"});
    }
    if (auto* ps = o.if_contains("platforms"); ps && ps->is_array() && version) {
        std::vector<std::string> platforms;
        for (auto& p : ps->get_array()) {
            std::string name = p.is_string() ? std::string(p.get_string()) : std::string();
            std::string mapped = name == "iOS"        ? "IOS"
                                 : name == "macOS"    ? "MAC_OS"
                                 : name == "tvOS"     ? "TV_OS"
                                 : name == "visionOS" ? "VISION_OS"
                                                      : "";
            if (mapped.empty())
                warnings.push_back({"MANIFEST_UNKNOWN_PLATFORM",
                                    "The manifest names an unknown platform '" + name + "'"});
            else if (std::find(platforms.begin(), platforms.end(), mapped) == platforms.end())
                platforms.push_back(mapped);
        }
        if (!platforms.empty())
            version->platforms = std::move(platforms);
    }
}

void settle_file(service& svc, const std::string& file_id) {
    std::string version_to_finish;
    std::chrono::milliseconds version_delay{0};
    {
        std::lock_guard lock(svc.mutex);
        auto* f = svc.db.find_upload_file(file_id);
        if (!f || f->delivery_state != "UPLOAD_COMPLETE")
            return;
        std::vector<state_detail> errors, warnings;
        auto checks = check_checksums(*f);
        svc.stats.checksum(!checks.given           ? stats_collector::checksum_verdict::absent
                           : checks.errors.empty() ? stats_collector::checksum_verdict::matched
                                                   : stats_collector::checksum_verdict::mismatched);
        errors = std::move(checks.errors);
        if (f->asset_type == "MANIFEST")
            inspect_manifest(svc, *f, errors, warnings);
        if (f->forced_failure)
            errors.push_back({"PROCESSING_FAILED",
                              "The file could not be processed (injected by the simulator's "
                              "fault rules)"});
        svc.db.finish_upload_file(*f, std::move(errors), std::move(warnings));
        if (f->asset_type == "ASSET") {
            version_to_finish = f->version_id;
            version_delay = svc.version_processing_time(f->file_size);
        }
    }
    if (!version_to_finish.empty())
        svc.schedule(version_delay, [&svc, version_to_finish] {
            std::lock_guard lock(svc.mutex);
            if (auto* v = svc.db.find_version(version_to_finish))
                svc.db.finish_version(*v);
        });
}

void schedule_verdict_locked(service& svc, upload_file_record& f) {
    f.verdict_scheduled = true;
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - f.committed_at);
    auto delay =
        std::max(std::chrono::milliseconds(0), svc.options.upload_processing_delay - elapsed);
    svc.schedule(delay, [&svc, id = f.id] { settle_file(svc, id); });
}

// ---- one part PUT ---------------------------------------------------------------------------

struct parsed_target {
    std::string token;
};

std::optional<parsed_target> parse_part_target(std::string_view target) {
    auto u = boost::urls::parse_origin_form(target);
    if (!u)
        return std::nullopt;
    std::vector<std::string> seg;
    for (auto s : u->segments())
        seg.push_back(s);
    if (seg.size() != 2 || seg[0] != "bau" || seg[1].empty())
        return std::nullopt;
    return parsed_target{seg[1]};
}

// Keeps the concurrent-upload gauge honest on every exit path.
struct in_flight_guard {
    stats_collector& stats;
    explicit in_flight_guard(stats_collector& s) : stats(s) { stats.part_upload_started(); }
    ~in_flight_guard() { stats.part_upload_ended(); }
};

void abandon(service& svc, part_receipt& r) {
    if (r.spool.is_open())
        r.spool.close();
    if (!r.spool_path.empty()) {
        std::error_code ec;
        std::filesystem::remove(r.spool_path, ec);
    }
    if (r.direct) {
        std::lock_guard lock(svc.mutex);
        if (auto* f = svc.db.find_upload_file(r.file_id))
            f->digest_busy = false;
    }
    post_catch_up(svc, r.file_id);
}

} // namespace

void start_file_processing(service& svc, const std::string& file_id) {
    {
        std::lock_guard lock(svc.mutex);
        auto* f = svc.db.find_upload_file(file_id);
        if (!f)
            return;
        f->committed_at = std::chrono::steady_clock::now();
        if (f->next_part >= f->parts.size() && !f->digest_busy) {
            schedule_verdict_locked(svc, *f);
            return;
        }
    }
    post_catch_up(svc, file_id);
}

namespace {

// After a refusal sent while the request body is still on the wire, reads and discards that
// body (bounded in bytes and time) before the connection closes: closing a socket with unread
// data makes the kernel send a reset, which can destroy the refusal before the client reads it.
asio::awaitable<void> drain_request_body(tls_stream& stream, beast::flat_buffer& buffer,
                                         http::request_parser<http::buffer_body>& parser,
                                         std::vector<unsigned char>& chunk) {
    constexpr std::uint64_t max_drained = 64ull * 1024 * 1024;
    std::uint64_t drained = 0;
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    while (!parser.is_done() && drained < max_drained) {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, tuple_awaitable());
        if (ec == http::error::need_buffer)
            ec = {};
        if (ec)
            co_return;
        drained += chunk.size() - parser.get().body().size;
    }
}

asio::awaitable<boost::system::error_code>
read_body_chunk(tls_stream& stream, beast::flat_buffer& buffer,
                http::request_parser<http::buffer_body>& parser) {
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, tuple_awaitable());
    co_return ec;
}

} // namespace

asio::awaitable<void> serve_upload_connection(service& svc, tls_stream& stream) {
    beast::flat_buffer buffer;
    std::vector<unsigned char> chunk(chunk_size);
    for (;;) {
        http::request_parser<http::buffer_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(boost::none); // Content-Length is checked against the part instead
        beast::get_lowest_layer(stream).expires_after(idle_timeout);
        auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, tuple_awaitable());
        if (ec)
            co_return;
        auto& req = parser.get();
        const unsigned version = req.version();
        svc.stats.request("upload_part");
        if (req.find(http::field::authorization) != req.end())
            svc.stats.upload_authorization();

        auto reply = [&](response_type res, bool close) -> asio::awaitable<bool> {
            svc.stats.response(res.result_int());
            res.keep_alive(!close && req.keep_alive());
            beast::get_lowest_layer(stream).expires_after(idle_timeout);
            auto [wec, wn] = co_await http::async_write(stream, res, tuple_awaitable());
            co_return !wec && res.keep_alive();
        };
        // A refusal before the body is read leaves the body on the wire: close afterwards.
        const bool body_pending =
            req.has_content_length() ? parser.content_length().value_or(0) > 0 : req.chunked();
        auto refuse = [&](unsigned status, std::string_view code,
                          std::string message) -> asio::awaitable<bool> {
            auto res = store_error(status, code, message, version);
            bool again = co_await reply(std::move(res), body_pending);
            // A client waiting for 100 Continue never sends the body: nothing to drain.
            if (body_pending && req[http::field::expect] != "100-continue")
                co_await drain_request_body(stream, buffer, parser, chunk);
            co_return again;
        };

        auto plan = svc.faults.plan("upload_part");
        for (auto k : plan.applied)
            svc.stats.fault(k);
        if (plan.latency.count() > 0) {
            asio::steady_timer t(co_await asio::this_coro::executor, plan.latency);
            co_await t.async_wait(tuple_awaitable());
        }
        if (plan.terminal == fault_kind::stall) {
            asio::steady_timer t(co_await asio::this_coro::executor, plan.stall);
            co_await t.async_wait(tuple_awaitable());
            co_return;
        }
        if (plan.terminal == fault_kind::http_error) {
            bool again =
                co_await refuse(plan.status, plan.status == 503 ? "SlowDown" : "InternalError",
                                "Injected by the simulator's fault rules");
            if (!again)
                co_return;
            continue;
        }

        auto target = parse_part_target(req.target());
        part_receipt r;
        std::string refusal_code, refusal_message;
        unsigned refusal_status = 0;
        {
            std::lock_guard lock(svc.mutex);
            const part_ref* ref = target ? svc.db.find_part(target->token) : nullptr;
            upload_file_record* f = ref ? svc.db.find_upload_file(ref->file_id) : nullptr;
            if (!f) {
                refusal_status = 403;
                refusal_code = "AccessDenied";
                refusal_message = "The URL is not a valid upload URL, or its upload was "
                                  "committed";
            } else if (req.method() != http::verb::put) {
                refusal_status = 403;
                refusal_code = "SignatureDoesNotMatch";
                refusal_message = "The URL is signed for PUT";
            } else if (std::chrono::system_clock::now() >= f->expiration) {
                refusal_status = 403;
                refusal_code = "AccessDenied";
                refusal_message = "Request has expired";
            } else if (req[http::field::content_type] != "application/octet-stream") {
                refusal_status = 403;
                refusal_code = "SignatureDoesNotMatch";
                refusal_message = "The request must send the header Content-Type: "
                                  "application/octet-stream";
            } else if (req.chunked() || !parser.content_length()) {
                refusal_status = 411;
                refusal_code = "MissingContentLength";
                refusal_message = "You must provide the Content-Length HTTP header";
            } else if (*parser.content_length() != f->parts[ref->index].length) {
                refusal_status = 400;
                refusal_code = "InvalidPartLength";
                refusal_message = "Content-Length must be exactly " +
                                  std::to_string(f->parts[ref->index].length) +
                                  " bytes for this part";
            } else {
                r.file_id = f->id;
                r.index = ref->index;
                r.length = f->parts[ref->index].length;
                auto& p = f->parts[ref->index];
                if (!f->digest_busy && f->next_part == ref->index && !p.in_file_digest) {
                    r.direct = true;
                    f->digest_busy = true;
                    r.file_md5 = f->file_md5;
                    r.file_sha256 = f->file_sha256;
                } else {
                    r.spool_path = svc.spool_dir / (f->id + "-" + std::to_string(p.part_number) +
                                                    "-" + random_token().substr(0, 16) + ".part");
                }
                r.keep_manifest =
                    f->asset_type == "MANIFEST" && f->file_size <= max_inspected_manifest;
            }
        }
        if (refusal_status) {
            if (!co_await refuse(refusal_status, refusal_code, refusal_message))
                co_return;
            continue;
        }
        if (!r.spool_path.empty()) {
            r.spool.open(r.spool_path, std::ios::binary | std::ios::trunc);
            if (!r.spool) {
                abandon(svc, r);
                if (!co_await refuse(500, "InternalError", "The simulator cannot spool the part"))
                    co_return;
                continue;
            }
        }

        if (req[http::field::expect] == "100-continue") {
            http::response<http::empty_body> cont{http::status::continue_, version};
            auto [cec, cn] = co_await http::async_write(stream, cont, tuple_awaitable());
            if (cec) {
                abandon(svc, r);
                co_return;
            }
        }

        in_flight_guard gauge(svc.stats);
        const std::uint64_t drop_after =
            plan.terminal == fault_kind::drop_connection ? r.length / 2 : r.length + 1;
        std::uint64_t received = 0;
        bool failed = false;
        std::optional<ordered_part_digests> ordered;
        if (r.direct)
            ordered.emplace(svc.hash_pool, chunk_size, std::move(*r.file_md5),
                            std::move(*r.file_sha256));
        while (!parser.is_done()) {
            const std::span<unsigned char> into = ordered ? ordered->next_buffer() : chunk;
            std::size_t want = into.size();
            if (drop_after <= r.length) // stop reading right at the drop point
                want = static_cast<std::size_t>(std::min<std::uint64_t>(
                    want, std::max<std::uint64_t>(1, drop_after - received)));
            parser.get().body().data = into.data();
            parser.get().body().size = want;
            beast::get_lowest_layer(stream).expires_after(idle_timeout);
            auto reading = read_body_chunk(stream, buffer, parser);
            boost::system::error_code rec;
            if (ordered && ordered->has_unhashed()) {
                // The previous chunk is hashed on the pool while this one arrives.
                auto hashing = ordered->hash();
                rec = co_await (std::move(reading) && std::move(hashing));
            } else {
                rec = co_await std::move(reading);
            }
            if (rec == http::error::need_buffer)
                rec = {};
            if (rec) {
                failed = true;
                break;
            }
            std::size_t got = want - parser.get().body().size;
            std::span<const unsigned char> bytes(into.data(), got);
            svc.stats.upload_bytes(got);
            received += got;
            if (ordered) {
                ordered->filled(got);
            } else {
                r.part_md5.update(bytes);
                r.spool.write(reinterpret_cast<const char*>(bytes.data()),
                              static_cast<std::streamsize>(bytes.size()));
            }
            if (r.keep_manifest)
                r.manifest_bytes.append(reinterpret_cast<const char*>(bytes.data()), got);
            if (received >= drop_after) {
                failed = true;
                break;
            }
        }
        if (!failed && r.spool.is_open()) {
            r.spool.close();
            failed = r.spool.fail();
        }
        if (failed || received != r.length) {
            abandon(svc, r);
            co_return; // the connection is unusable (or dropped on purpose)
        }
        if (ordered) {
            co_await ordered->hash();
            r.part_md5 = ordered->part_md5();
            r.file_md5 = std::move(ordered->file_md5());
            r.file_sha256 = std::move(ordered->file_sha256());
        }

        std::size_t md5_len = 0;
        auto md5_bytes = r.part_md5.bytes(md5_len);
        std::array<unsigned char, 16> md5{};
        std::copy_n(md5_bytes.begin(), 16, md5.begin());
        std::string etag = "\"" + hex_upper(md5) + "\"";
        bool accepted = false;
        std::filesystem::path remove_path;
        {
            std::lock_guard lock(svc.mutex);
            auto* f = svc.db.find_upload_file(r.file_id);
            if (f && r.direct)
                f->digest_busy = false;
            if (f && !f->committed) {
                accepted = true;
                auto& p = f->parts[r.index];
                if (r.direct) {
                    f->file_md5 = std::move(*r.file_md5);
                    f->file_sha256 = std::move(*r.file_sha256);
                    p.in_file_digest = true;
                    svc.stats.part_digested();
                    ++f->next_part;
                    // This copy is the newest: an older spooled copy is obsolete.
                    remove_path = p.spool;
                    p.spool.clear();
                } else if (p.in_file_digest) {
                    if (p.md5 != md5 && f->digest_problem.empty())
                        f->digest_problem = "part " + std::to_string(p.part_number) +
                                            " was uploaded again with different bytes after "
                                            "it had been digested";
                    remove_path = r.spool_path;
                } else {
                    remove_path = p.spool;
                    p.spool = r.spool_path;
                    p.spool_md5 = md5;
                }
                p.received = true;
                p.md5 = md5;
                p.entity_tag = etag;
                if (r.keep_manifest)
                    p.manifest_bytes = std::move(r.manifest_bytes);
            } else {
                remove_path = r.spool_path;
            }
        }
        if (!remove_path.empty()) {
            std::error_code rmec;
            std::filesystem::remove(remove_path, rmec);
        }
        post_catch_up(svc, r.file_id);
        if (!accepted) {
            if (!co_await reply(store_error(404, "NoSuchUpload",
                                            "The upload was committed or no longer exists",
                                            version),
                                false))
                co_return;
            continue;
        }
        if (svc.options.upload_latency.count() > 0) {
            asio::steady_timer t(co_await asio::this_coro::executor, svc.options.upload_latency);
            co_await t.async_wait(tuple_awaitable());
        }
        svc.stats.part_received();
        response_type ok{http::status::ok, version};
        ok.set(http::field::etag, etag);
        ok.prepare_payload();
        if (!co_await reply(std::move(ok), false))
            co_return;
    }
}

} // namespace ascpp::sim
