#include "file_hash_pass.hpp"
#include "part_attempt.hpp"
#include "part_md5s.hpp"

#include <ascpp/detail/task_group.hpp>
#include <ascpp/detail/wait_queue.hpp>
#include <ascpp/http/client.hpp>
#include <ascpp/upload/backoff.hpp>
#include <ascpp/upload/upload_file.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <set>

namespace ascpp::upload {

namespace http = ascpp::http;
namespace beast = boost::beast;

namespace {

bool is_loopback_host(std::string_view host) {
    if (host == "localhost" || host == "::1" || host == "[::1]")
        return true;
    return host.starts_with("127.");
}

bool has_line_break(std::string_view s) {
    return s.find_first_of("\r\n") != std::string_view::npos;
}

// The limiter's host: the origin as the transport's pools name it, so one host is one host to
// both. A URL without one is refused by validate_operations before any part is sent.
std::string origin_of(const std::string& url) {
    auto u = boost::urls::parse_absolute_uri(url);
    if (!u)
        return url;
    try {
        return http::origin_name(*u);
    } catch (const http::transport_error&) {
        return url;
    }
}

// A reservation's journal entry before any part: what a later run checks before resuming it.
journal_entry new_entry(std::string upload_file_id, std::string version_id, std::string asset_type,
                        std::string file_name, const journal::file_identity& file) {
    journal_entry e;
    e.upload_file_id = std::move(upload_file_id);
    e.background_asset_version_id = std::move(version_id);
    e.asset_type = std::move(asset_type);
    e.file_name = std::move(file_name);
    e.path = file.path;
    e.size = file.size;
    e.mtime_ns = file.mtime_ns;
    return e;
}

[[noreturn]] void invalid(std::size_t index, const api::delivery_file_upload_operation& op,
                          const std::string& problem) {
    std::string where = "upload operation " + std::to_string(index + 1);
    if (op.part_number)
        where += " (partNumber " + std::to_string(*op.part_number) + ")";
    throw upload_error(upload_errc::invalid_operations, where + ": " + problem, op.part_number);
}

} // namespace

std::vector<part_operation>
validate_operations(const std::vector<api::delivery_file_upload_operation>& operations,
                    std::uint64_t file_size) {
    if (operations.empty())
        throw upload_error(upload_errc::invalid_operations,
                           "the reservation has no upload operations");
    std::vector<part_operation> out;
    out.reserve(operations.size());
    std::size_t numbered = 0;
    for (std::size_t i = 0; i < operations.size(); ++i) {
        const auto& op = operations[i];
        part_operation p;
        if (!op.method || op.method->empty())
            invalid(i, op, "no method");
        auto verb = beast::http::string_to_verb(*op.method);
        if (verb != beast::http::verb::put && verb != beast::http::verb::post &&
            verb != beast::http::verb::patch)
            invalid(i, op, "method '" + *op.method + "' cannot carry a file part");
        p.method = *op.method;
        if (!op.url || op.url->empty())
            invalid(i, op, "no url");
        auto url = boost::urls::parse_absolute_uri(*op.url);
        if (!url || url->encoded_host().empty())
            invalid(i, op, "the url is not an absolute URL");
        if (url->scheme_id() == boost::urls::scheme::http) {
            if (!is_loopback_host(url->encoded_host()))
                invalid(i, op,
                        "plain http:// to a non-loopback host (" +
                            std::string(url->encoded_host()) + ") is refused");
        } else if (url->scheme_id() != boost::urls::scheme::https) {
            invalid(i, op, "the url's scheme is not https");
        }
        p.url = *op.url;
        if (!op.offset || *op.offset < 0)
            invalid(i, op, "offset is missing or negative");
        if (!op.length || *op.length < 1)
            invalid(i, op, "length is missing or less than 1");
        p.offset = static_cast<std::uint64_t>(*op.offset);
        p.length = static_cast<std::uint64_t>(*op.length);
        if (p.offset >= file_size || p.length > file_size - p.offset)
            invalid(i, op,
                    "bytes [" + std::to_string(p.offset) + ", " +
                        std::to_string(p.offset + p.length) + ") lie outside the file (" +
                        std::to_string(file_size) + " bytes)");
        if (op.part_number) {
            if (*op.part_number < 1)
                invalid(i, op, "partNumber is less than 1");
            p.part_number = *op.part_number;
            ++numbered;
        }
        if (op.request_headers) {
            for (const auto& h : *op.request_headers) {
                if (!h.name || h.name->empty())
                    invalid(i, op, "a request header has no name");
                std::string value = h.value.value_or("");
                if (has_line_break(*h.name) || has_line_break(value))
                    invalid(i, op, "request header '" + *h.name + "' contains a line break");
                if (beast::iequals(*h.name, "Content-Length")) {
                    if (value != std::to_string(p.length))
                        invalid(i, op, "its Content-Length header contradicts its length");
                    continue; // the transport writes it
                }
                if (beast::iequals(*h.name, "Host"))
                    continue; // the transport writes it from the url
                p.headers.emplace_back(*h.name, std::move(value));
            }
        }
        out.push_back(std::move(p));
    }
    if (numbered != 0 && numbered != out.size())
        throw upload_error(upload_errc::invalid_operations,
                           "some upload operations have a partNumber and others do not");
    std::sort(out.begin(), out.end(),
              [](const part_operation& a, const part_operation& b) { return a.offset < b.offset; });
    if (numbered == 0)
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i].part_number = static_cast<std::int64_t>(i + 1);
    std::set<std::int64_t> numbers;
    std::uint64_t expected = 0;
    for (const auto& p : out) {
        if (!numbers.insert(p.part_number).second)
            throw upload_error(upload_errc::invalid_operations,
                               "partNumber " + std::to_string(p.part_number) + " appears twice",
                               p.part_number);
        if (p.offset < expected)
            throw upload_error(upload_errc::invalid_operations,
                               "partNumber " + std::to_string(p.part_number) +
                                   " overlaps the previous part (offset " +
                                   std::to_string(p.offset) + ")",
                               p.part_number);
        if (p.offset > expected)
            throw upload_error(upload_errc::invalid_operations,
                               "no operation sends bytes [" + std::to_string(expected) + ", " +
                                   std::to_string(p.offset) + ")");
        expected = p.offset + p.length;
    }
    if (expected != file_size)
        throw upload_error(upload_errc::invalid_operations, "no operation sends bytes [" +
                                                                std::to_string(expected) + ", " +
                                                                std::to_string(file_size) + ")");
    return out;
}

namespace {

struct part_state {
    part_operation op;
    bool done = false;
    bool resumed = false;
    digest md5;
    // Asked for when the part, or one shortly before it, is first sent; its retries reuse it.
    std::shared_ptr<detail::part_md5> md5_job;
};

struct upload_context {
    upload_context(api::client& c, asio::any_io_executor strand)
        : client(c), refreshed(strand), rng(std::random_device{}()) {}

    api::client& client;
    std::string file_id;
    std::string file_name;
    std::filesystem::path path;
    journal::file_identity identity;
    upload_options options;
    std::string journal_key;
    std::vector<part_state> parts; // in offset order
    std::shared_ptr<limiter> lim;
    std::shared_ptr<detail::file_hash_pass> hash;
    // The part MD5s' reads, shared with `hash` so the file is read once for both checksums.
    std::shared_ptr<detail::read_shelf> shelf;
    digest file_digest;
    std::optional<std::size_t> progress_index;
    std::size_t frontier_index = 0; // first part (in offset order) not acknowledged yet

    // Written by chunk observers, which the transport may run on its own threads.
    std::atomic<std::uint64_t> bytes_sent{0};
    std::size_t parts_sent = 0;
    std::size_t part_retries = 0;
    std::size_t url_refreshes = 0;
    std::uint64_t api_requests = 0;

    // Coalesces refreshes: parts that saw a 403 under the same generation share one GET.
    std::atomic<std::uint64_t> refresh_generation{0};
    bool refreshing = false;
    ascpp::detail::wait_queue refreshed;
    std::mt19937_64 rng;

    // Progress of this file, when a tracker follows it.
    upload::progress_tracker* tracker() const {
        return options.progress && progress_index ? options.progress.get() : nullptr;
    }
};

// Writes the journal on the blocking pool. The lambda is named: GCC 12 destroys the captures
// of a lambda temporary in a co_await expression twice.
asio::awaitable<void> save_now(std::shared_ptr<journal> j) {
    std::function<void()> save = [j] { j->save(); };
    co_await ascpp::detail::run_blocking(std::move(save));
}

asio::awaitable<void> save_journal(upload_context& c) {
    if (auto j = c.options.journal)
        co_await save_now(j);
}

// Runs a whole-file pass on a strand of the hashing pool.
asio::awaitable<digest> run_pass(std::shared_ptr<detail::file_hash_pass> pass) {
    co_return co_await asio::co_spawn(asio::make_strand(ascpp::detail::blocking_pool()),
                                      pass->run(), asio::use_awaitable);
}

asio::awaitable<void> hash_file(upload_context& c) {
    c.file_digest = co_await run_pass(c.hash);
}

std::string delivery_state_of(const api::background_asset_upload_file& f) {
    if (f.attributes && f.attributes->asset_delivery_state &&
        f.attributes->asset_delivery_state->state)
        return f.attributes->asset_delivery_state->state->str();
    return {};
}

// Fetches fresh operations for every part (after a 403 on an expired URL). Parts that saw the
// 403 under the same generation share one request.
asio::awaitable<void> refresh_operations(upload_context& c, std::uint64_t seen_generation) {
    while (c.refresh_generation.load() == seen_generation) {
        if (c.refreshing) {
            co_await c.refreshed.async_wait_unless(
                [&c, seen_generation] { return c.refresh_generation.load() != seen_generation; },
                asio::use_awaitable);
            continue;
        }
        c.refreshing = true;
        struct reset_flag {
            upload_context& c;
            ~reset_flag() {
                c.refreshing = false;
                c.refreshed.notify_all();
            }
        } reset{c};
        ++c.api_requests;
        auto doc = co_await c.client.get_background_asset_upload_file(c.file_id);
        ++c.url_refreshes;
        auto state = delivery_state_of(doc.data);
        if (!state.empty() && state != api::delivery_state::awaiting_upload)
            throw upload_error(upload_errc::not_awaiting_upload,
                               "upload file " + c.file_id + " is " + state +
                                   " while parts were still being sent");
        std::vector<api::delivery_file_upload_operation> none;
        const auto& ops = doc.data.attributes && doc.data.attributes->upload_operations
                              ? *doc.data.attributes->upload_operations
                              : none;
        auto fresh = validate_operations(ops, c.identity.size);
        std::map<std::int64_t, part_operation*> by_number;
        for (auto& op : fresh)
            by_number[op.part_number] = &op;
        for (auto& p : c.parts) {
            auto it = by_number.find(p.op.part_number);
            if (it == by_number.end() || it->second->offset != p.op.offset ||
                it->second->length != p.op.length)
                throw upload_error(upload_errc::invalid_operations,
                                   "the refreshed operations of upload file " + c.file_id +
                                       " describe different parts",
                                   p.op.part_number);
            p.op = std::move(*it->second);
        }
        ++c.refresh_generation;
    }
}

void advance_frontier(upload_context& c) {
    while (c.frontier_index < c.parts.size() && c.parts[c.frontier_index].done)
        ++c.frontier_index;
    if (c.hash)
        c.hash->set_frontier(c.frontier_index < c.parts.size() ? c.parts[c.frontier_index].op.offset
                                                               : c.identity.size);
}

// Hands part `index` to the hasher if it is not there yet, and with it the next parts still to
// send, up to detail::parts_hashed_together: they are read ahead of their sends (and stay in the
// page cache for them), and the hasher's backlog stays bounded by that batch per upload.
// `sending`: the part's send begins; otherwise the hasher takes the parts only into lanes it would
// leave idle, until their sends begin.
void hash_parts_from(upload_context& c, std::size_t index, bool sending = true) {
    if (auto& job = c.parts[index].md5_job) {
        if (sending)
            detail::promote(job);
        return;
    }
    std::size_t queued = 0;
    for (std::size_t i = index; i < c.parts.size() && queued < detail::parts_hashed_together; ++i) {
        auto& p = c.parts[i];
        if (p.done || p.md5_job)
            continue;
        p.md5_job =
            sending ? detail::hash_part(c.path, p.op.offset, p.op.length, c.shelf)
                    : detail::hash_part_in_idle_lanes(c.path, p.op.offset, p.op.length, c.shelf);
        ++queued;
    }
}

asio::awaitable<void> send_part(upload_context& c, std::size_t index) {
    auto& part = c.parts[index];
    detail::part_tally tally;
    for (;;) {
        const part_operation op = part.op; // a refresh may replace part.op meanwhile
        const auto generation = c.refresh_generation.load();
        auto permit = co_await c.lim->async_acquire(origin_of(op.url), asio::use_awaitable);
        hash_parts_from(c, index);

        std::uint64_t counted = 0;
        http::request req;
        req.method = beast::http::string_to_verb(op.method);
        req.url = boost::urls::url(*boost::urls::parse_absolute_uri(op.url));
        for (const auto& [name, value] : op.headers)
            req.headers.insert(name, value);
        // The bytes the part hasher read for this part's MD5, where the shelf kept them: the host
        // then gets exactly the bytes hashed, and the file is not read again.
        req.body = http::file_range{c.path, op.offset, op.length,
                                    [shelf = c.shelf](std::uint64_t at, std::size_t max) {
                                        auto h = shelf->take(at, max);
                                        return http::held_bytes{std::move(h.hold), h.bytes};
                                    }};
        req.idempotent = true; // the host accepts a part again until the commit
        req.timeout = c.options.part_timeout;
        req.on_chunk = [&](std::span<const unsigned char> chunk) {
            counted += chunk.size();
            c.bytes_sent += chunk.size();
            if (auto* t = c.tracker())
                t->add_in_flight(*c.progress_index, chunk.size());
        };
        // Every way an attempt ends without the part being acknowledged.
        auto attempt_failed = [&] {
            if (auto* t = c.tracker())
                t->attempt_failed(*c.progress_index, counted);
            counted = 0;
        };
        req.on_body_restart = [&] { attempt_failed(); };

        std::optional<http::response> response;
        detail::part_outcome outcome;
        std::string transport_what;
        try {
            response = co_await c.client.http().send(std::move(req));
        } catch (const http::transport_error& e) {
            outcome.transport_error = e.code();
            transport_what = e.what();
        } catch (...) {
            attempt_failed();
            throw;
        }
        if (response) {
            outcome.status = response->status;
            outcome.etag = response->header("ETag");
            // Taken before the permit goes: a part whose MD5 is behind holds its place.
            if (response->ok())
                outcome.part_md5 = co_await part.md5_job->get();
        }
        outcome.transport_what = transport_what;
        permit.release();

        auto verdict = detail::judge_part_attempt(outcome, tally, c.options.retry, op.part_number);
        if (verdict.step == detail::part_step::acknowledged) {
            part.md5 = outcome.part_md5;
            part.done = true;
            ++c.parts_sent;
            if (auto* t = c.tracker())
                t->part_done(*c.progress_index, op.length, counted);
            advance_frontier(c);
            if (c.options.journal) {
                c.options.journal->record_part(c.journal_key,
                                               {op.part_number, op.offset, op.length, part.md5});
                co_await save_journal(c);
            }
            co_return;
        }
        attempt_failed();
        if (verdict.rehash)
            part.md5_job.reset();
        switch (verdict.step) {
        case detail::part_step::cancelled:
            throw boost::system::system_error(asio::error::operation_aborted);
        case detail::part_step::fail:
            throw upload_error(verdict.error, verdict.message, op.part_number);
        case detail::part_step::refresh:
            co_await refresh_operations(c, generation);
            continue;
        case detail::part_step::acknowledged:
        case detail::part_step::retry:
            break;
        }
        ++c.part_retries;
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(backoff_delay(c.options.retry, tally.failures, c.rng));
        co_await timer.async_wait(asio::use_awaitable);
    }
}

api::checksums make_checksums(const upload_context& c, digest& composite) {
    api::checksums sums;
    api::checksum file;
    file.hash = c.file_digest.hex();
    file.algorithm = api::checksum_algorithm(std::string(to_string(c.options.file_checksum)));
    sums.file = std::move(file);
    if (c.options.composite_checksum) {
        std::vector<const part_state*> ordered;
        for (const auto& p : c.parts)
            ordered.push_back(&p);
        std::sort(ordered.begin(), ordered.end(), [](const part_state* a, const part_state* b) {
            return a->op.part_number < b->op.part_number;
        });
        std::vector<digest> md5s;
        for (const auto* p : ordered)
            md5s.push_back(p->md5);
        composite = composite_md5(md5s);
        api::checksum comp;
        comp.hash = composite.hex();
        comp.algorithm = api::checksum_algorithm(api::checksum_algorithm::md5);
        sums.composite = std::move(comp);
    }
    return sums;
}

bool committed_state(std::string_view s) {
    return s == api::delivery_state::upload_complete || s == api::delivery_state::complete;
}

std::string describe_errors(const api::background_asset_upload_file& f) {
    std::string out;
    if (f.attributes && f.attributes->asset_delivery_state &&
        f.attributes->asset_delivery_state->errors)
        for (const auto& e : *f.attributes->asset_delivery_state->errors) {
            out += out.empty() ? ": " : "; ";
            out += e.code.value_or("?");
            if (e.description)
                out += " (" + *e.description + ")";
        }
    return out;
}

asio::awaitable<api::background_asset_upload_file> commit(upload_context& c, digest& composite) {
    api::background_asset_upload_file_update_request body;
    body.id = c.file_id;
    body.uploaded = true;
    body.source_file_checksums = make_checksums(c, composite);
    api::background_asset_upload_file file;
    std::optional<std::string> conflict;
    try {
        ++c.api_requests;
        file = (co_await c.client.update_background_asset_upload_file(std::move(body))).data;
    } catch (const api::api_error& e) {
        if (e.status() != 409)
            throw;
        conflict = e.what();
    }
    if (conflict) {
        // A commit whose response was lost and was retried meets its own earlier success.
        ++c.api_requests;
        file = (co_await c.client.get_background_asset_upload_file(c.file_id)).data;
        if (!committed_state(delivery_state_of(file)))
            throw upload_error(upload_errc::commit_failed, "the commit of upload file " +
                                                               c.file_id +
                                                               " was refused: " + *conflict);
    }
    if (delivery_state_of(file) == api::delivery_state::failed)
        throw upload_error(upload_errc::commit_failed, "upload file " + c.file_id +
                                                           " is FAILED after the commit" +
                                                           describe_errors(file));
    co_return file;
}

asio::awaitable<upload_result> run_upload(api::client& client,
                                          api::background_asset_upload_file reservation,
                                          std::filesystem::path path, upload_options options) {
    // Partial and total cancellation reach the parts too (as terminal cancellation of each):
    // a part is recorded in the journal only once acknowledged, so stopping anywhere is safe.
    co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
    const auto started = std::chrono::steady_clock::now();
    auto strand = co_await asio::this_coro::executor;
    upload_context c(client, strand);
    c.file_id = reservation.id;
    c.path = path;
    c.identity = journal::identify(path);
    c.options = std::move(options);
    c.lim = c.options.limiter ? c.options.limiter : limiter::process_default();

    const auto* attrs = reservation.attributes ? &*reservation.attributes : nullptr;
    if (c.file_id.empty())
        throw upload_error(upload_errc::invalid_operations, "the reservation has no id");
    if (attrs && attrs->file_size &&
        static_cast<std::uint64_t>(*attrs->file_size) != c.identity.size)
        throw upload_error(upload_errc::invalid_operations,
                           "the reservation is for " + std::to_string(*attrs->file_size) +
                               " bytes but " + path.string() + " has " +
                               std::to_string(c.identity.size));
    if (auto state = delivery_state_of(reservation);
        !state.empty() && state != api::delivery_state::awaiting_upload)
        throw upload_error(upload_errc::not_awaiting_upload,
                           "upload file " + c.file_id + " is " + state + ", not AWAITING_UPLOAD");
    c.file_name = attrs && attrs->file_name ? *attrs->file_name : path.filename().string();
    c.journal_key = !c.options.journal_key.empty() ? c.options.journal_key
                    : attrs && attrs->asset_type   ? attrs->asset_type->str()
                                                   : std::string("FILE");

    std::vector<api::delivery_file_upload_operation> none;
    for (auto& op : validate_operations(
             attrs && attrs->upload_operations ? *attrs->upload_operations : none, c.identity.size))
        c.parts.push_back(part_state{std::move(op)});

    // Resume: parts the journal holds for this very reservation and file are not sent again.
    std::uint64_t bytes_resumed = 0;
    std::size_t parts_resumed = 0;
    if (auto& j = c.options.journal) {
        auto entry = j->entry(c.journal_key);
        if (entry && entry->upload_file_id == c.file_id) {
            if (entry->path != c.identity.path || entry->size != c.identity.size ||
                entry->mtime_ns != c.identity.mtime_ns)
                throw upload_error(upload_errc::journal_mismatch,
                                   "journal " + j->path().string() + " recorded " + entry->path +
                                       " with another size or modification time; the file "
                                       "changed since (delete the journal to start over)");
            for (const auto& done : entry->parts)
                for (auto& p : c.parts)
                    if (p.op.part_number == done.part_number && p.op.offset == done.offset &&
                        p.op.length == done.length) {
                        p.done = p.resumed = true;
                        p.md5 = done.md5;
                        bytes_resumed += p.op.length;
                        ++parts_resumed;
                    }
        } else {
            j->set_entry(c.journal_key,
                         new_entry(c.file_id, "",
                                   attrs && attrs->asset_type ? attrs->asset_type->str() : "",
                                   c.file_name, c.identity));
            co_await save_journal(c);
        }
    }
    if (c.options.progress)
        c.progress_index = c.options.progress->add_file(
            c.file_name, c.identity.size, c.parts.size(), bytes_resumed, parts_resumed);

    // A checksum computed earlier of this very file (same size and modification time) saves
    // reading it again; otherwise one pass hashes the file while the parts are sent.
    const auto& known = c.options.known_file_checksum;
    const bool file_known = known && known->algorithm == c.options.file_checksum &&
                            known->value.size && known->identity.path == c.identity.path &&
                            known->identity.size == c.identity.size &&
                            known->identity.mtime_ns == c.identity.mtime_ns;
    // Every part still to send gets its MD5 from the part hasher, which reads it ahead of the
    // send and offers what it read to the shelf: the send and the pass take their bytes from
    // there and read only the rest (the resumed parts, what the shelf could not keep).
    std::vector<detail::read_shelf::range> to_hash;
    for (const auto& p : c.parts)
        if (!p.done)
            to_hash.push_back({p.op.offset, p.op.length});
    c.shelf = std::make_shared<detail::read_shelf>(to_hash, !file_known, true);
    if (file_known)
        c.file_digest = known->value;
    else {
        c.hash = std::make_shared<detail::file_hash_pass>(
            c.path, c.identity.size, c.options.file_checksum, c.options.hash_lead_bytes,
            1024 * 1024, c.shelf);
    }
    advance_frontier(c);
    // Before the limiter lets a send begin: the hasher may fill idle lanes with these. Those
    // still waiting when the upload ends early (a failure, a cancellation) are taken back.
    if (c.frontier_index < c.parts.size())
        hash_parts_from(c, c.frontier_index, false);
    struct withdraw_unsent {
        upload_context& c;
        ~withdraw_unsent() {
            for (auto& p : c.parts)
                if (p.md5_job)
                    detail::withdraw(p.md5_job);
        }
    } withdraw_on_exit{c};
    {
        ascpp::detail::task_group group(strand);
        if (c.hash)
            group.spawn(hash_file(c));
        // In offset order: the limiter is first come first served, so sends sweep the file
        // front to back just ahead of (or behind) the hashing pass.
        for (std::size_t i = 0; i < c.parts.size(); ++i)
            if (!c.parts[i].done)
                group.spawn(send_part(c, i));
        co_await group.join();
    }

    auto after = journal::identify(path);
    if (after.size != c.identity.size || after.mtime_ns != c.identity.mtime_ns)
        throw upload_error(upload_errc::file_changed,
                           path.string() + " changed while it was being uploaded");

    upload_result result;
    result.file_checksum = c.file_digest;
    result.file_checksum_algorithm = c.options.file_checksum;
    if (c.options.commit) {
        result.file = co_await commit(c, result.composite_checksum);
        if (c.options.journal) {
            c.options.journal->mark_committed(c.journal_key);
            co_await save_journal(c);
        }
        if (c.options.progress && c.progress_index)
            c.options.progress->file_finished(*c.progress_index);
    } else {
        make_checksums(c, result.composite_checksum);
        result.file = std::move(reservation);
    }
    auto& s = result.stats;
    s.file_size = c.identity.size;
    s.bytes_sent = c.bytes_sent.load();
    s.bytes_resumed = bytes_resumed;
    s.parts = c.parts.size();
    s.parts_sent = c.parts_sent;
    s.parts_resumed = parts_resumed;
    s.part_retries = c.part_retries;
    s.url_refreshes = c.url_refreshes;
    s.api_requests = c.api_requests;
    s.bytes_hashed = c.hash ? c.hash->position() : 0;
    s.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    co_return result;
}

asio::awaitable<upload_result> run_reserve_and_upload(api::client& client, reserve_request req,
                                                      upload_options options) {
    const auto started = std::chrono::steady_clock::now();
    if (options.journal_key.empty())
        options.journal_key = req.asset_type.str();
    if (req.file_name.empty())
        req.file_name = req.path.filename().string();
    auto identity = journal::identify(req.path);
    std::uint64_t api_requests = 0;

    if (auto& j = options.journal) {
        auto entry = j->entry(options.journal_key);
        if (entry && !entry->upload_file_id.empty() &&
            entry->background_asset_version_id == req.background_asset_version_id) {
            if (entry->path != identity.path || entry->size != identity.size ||
                entry->mtime_ns != identity.mtime_ns || entry->file_name != req.file_name)
                throw upload_error(upload_errc::journal_mismatch,
                                   "journal " + j->path().string() + " holds a reservation of " +
                                       entry->path + " (" + entry->file_name +
                                       ") that does not match " + req.path.string() +
                                       " as it is now; delete the journal to start over");
            std::optional<api::background_asset_upload_file> existing;
            try {
                ++api_requests;
                existing =
                    (co_await client.get_background_asset_upload_file(entry->upload_file_id)).data;
            } catch (const api::api_error& e) {
                if (e.status() != 404)
                    throw;
            }
            if (existing) {
                auto state = delivery_state_of(*existing);
                if (state.empty() || state == api::delivery_state::awaiting_upload) {
                    auto r = co_await upload_file(client, std::move(*existing), req.path, options);
                    r.stats.api_requests += api_requests;
                    co_return r;
                }
                if (committed_state(state)) {
                    // Committed by the earlier run (maybe just before it was stopped).
                    j->mark_committed(options.journal_key);
                    co_await save_now(j);
                    upload_result r;
                    r.file = std::move(*existing);
                    r.stats.file_size = identity.size;
                    r.stats.bytes_resumed = identity.size;
                    r.stats.parts = r.stats.parts_resumed = entry->parts.size();
                    r.stats.api_requests = api_requests;
                    r.stats.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started);
                    co_return r;
                }
                // FAILED: that reservation is spent; make a new one below.
            }
        }
    }

    api::background_asset_upload_file_create_request body;
    body.background_asset_version_id = req.background_asset_version_id;
    body.asset_type = req.asset_type;
    body.file_name = req.file_name;
    body.file_size = static_cast<std::int64_t>(identity.size);
    ++api_requests;
    auto reservation = (co_await client.create_background_asset_upload_file(body)).data;
    if (auto& j = options.journal) {
        // Remember the reservation at once, so a run stopped before any part still resumes it.
        j->set_entry(options.journal_key, new_entry(reservation.id, req.background_asset_version_id,
                                                    req.asset_type.str(), req.file_name, identity));
        co_await save_now(j);
    }
    auto r = co_await upload_file(client, std::move(reservation), req.path, options);
    r.stats.api_requests += api_requests;
    r.stats.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    co_return r;
}

} // namespace

asio::awaitable<upload_result> upload_file(api::client& client,
                                           api::background_asset_upload_file reservation,
                                           std::filesystem::path path, upload_options options) {
    // The whole upload runs on one strand: part bookkeeping needs no lock, and cancellation
    // reaches every part through it.
    co_return co_await asio::co_spawn(
        asio::make_strand(client.executor()),
        run_upload(client, std::move(reservation), std::move(path), std::move(options)),
        asio::use_awaitable);
}

asio::awaitable<digest> checksum_file(std::filesystem::path path, hash_algorithm algorithm) {
    const auto size = journal::identify(path).size;
    // Nothing is sent: the pass may read the whole file at once (its lead is the file's size).
    auto pass = std::make_shared<detail::file_hash_pass>(std::move(path), size, algorithm, size);
    co_return co_await run_pass(std::move(pass));
}

asio::awaitable<upload_result> reserve_and_upload(api::client& client, reserve_request request,
                                                  upload_options options) {
    co_return co_await run_reserve_and_upload(client, std::move(request), std::move(options));
}

} // namespace ascpp::upload
