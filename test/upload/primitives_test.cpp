// Units of the upload engine that need no server: checksums, the limiter, wait queue and task
// group, backoff, progress and the hashing passes (whole file, parts).
#include "../../src/upload/file_hash_pass.hpp"
#include "../../src/upload/part_md5s.hpp"

#include <ascpp/detail/task_group.hpp>
#include <ascpp/detail/wait_queue.hpp>
#include <ascpp/upload/backoff.hpp>
#include <ascpp/upload/hasher.hpp>
#include <ascpp/upload/limiter.hpp>
#include <ascpp/upload/progress.hpp>
#include <ascpp/upload/upload_error.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <thread>

namespace asio = boost::asio;
namespace up = ascpp::upload;
using namespace std::chrono_literals;

namespace {

std::filesystem::path temp_file(const std::string& name, const std::string& content) {
    auto dir = std::filesystem::temp_directory_path() /
               ("ascpp-upload-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto p = dir / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
}

std::string pseudo_random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s)
        c = static_cast<char>(rng() & 0xff);
    return s;
}

// Runs the io_context until `f` is ready, bounded in time.
template <class T>
T run_for(asio::io_context& io, std::future<T>& f, std::chrono::seconds limit = 20s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (f.wait_for(0s) != std::future_status::ready) {
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "timed out");
        io.run_for(10ms);
        io.restart();
    }
    return f.get();
}

} // namespace

BOOST_AUTO_TEST_SUITE(checksums)

BOOST_AUTO_TEST_CASE(known_vectors) {
    BOOST_TEST(up::md5_of(std::string_view("")).hex() == "d41d8cd98f00b204e9800998ecf8427e");
    BOOST_TEST(up::md5_of(std::string_view("abc")).hex() == "900150983cd24fb0d6963f7d28e17f72");
    BOOST_TEST(up::sha256_of("abc").hex() ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(incremental_equals_one_shot) {
    auto data = pseudo_random_bytes(100'000, 7);
    up::hasher h(up::hash_algorithm::sha_256);
    for (std::size_t i = 0; i < data.size(); i += 777)
        h.update(std::string_view(data).substr(i, 777));
    BOOST_TEST(h.finish() == up::sha256_of(data));
    // finish() resets: the same hasher starts over.
    h.update(std::string_view("abc"));
    BOOST_TEST(h.finish() == up::sha256_of("abc"));
}

BOOST_AUTO_TEST_CASE(composite_is_md5_of_binary_part_md5s_in_part_order) {
    auto data = pseudo_random_bytes(10'000, 3);
    std::string_view v(data);
    std::vector<up::digest> parts{up::md5_of(v.substr(0, 4096)), up::md5_of(v.substr(4096, 4096)),
                                  up::md5_of(v.substr(8192))};
    std::string concat;
    for (auto& d : parts)
        concat.append(reinterpret_cast<const char*>(d.bytes.data()), d.size);
    auto composite = up::composite_md5(parts);
    BOOST_TEST(composite == up::md5_of(std::string_view(concat)));
    BOOST_TEST(composite.hex().size() == 32u);
    // Order matters.
    std::swap(parts[0], parts[2]);
    BOOST_TEST(!(up::composite_md5(parts) == composite));
}

BOOST_AUTO_TEST_CASE(etag_parsing) {
    auto d = up::md5_of(std::string_view("abc"));
    std::string upper = "\"900150983CD24FB0D6963F7D28E17F72\"";
    BOOST_TEST(up::digest_from_hex(upper, 16) == d);
    BOOST_TEST(up::digest_from_hex("900150983cd24fb0d6963f7d28e17f72", 16) == d);
    BOOST_TEST(up::digest_from_hex("not-hex", 16).size == 0u);
    BOOST_TEST(up::digest_from_hex("\"900150983cd24fb0d6963f7d28e17f7\"", 16).size == 0u);
    BOOST_TEST(up::digest_from_hex("900150983cd24fb0d6963f7d28e17fzz", 16).size == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(rejects_zero_limits) {
    BOOST_CHECK_THROW(up::limiter({0, 1}), std::invalid_argument);
    BOOST_CHECK_THROW(up::limiter({1, 0}), std::invalid_argument);
}

// Many workers on a 4-thread pool against global 3 and per-host 2: the limits hold at every
// moment, as counted by the workers themselves and by the limiter.
BOOST_AUTO_TEST_CASE(global_and_per_host_limits_hold_under_threads) {
    asio::thread_pool pool(4);
    auto lim = std::make_shared<up::limiter>(up::limiter_options{3, 2});
    std::atomic<int> active{0}, peak{0};
    std::map<std::string, std::atomic<int>> host_active;
    host_active["a"];
    host_active["b"];
    host_active["c"];
    std::atomic<int> host_peak{0}, finished{0};
    const int workers = 60;
    for (int i = 0; i < workers; ++i) {
        std::string host = std::string(1, static_cast<char>('a' + i % 3));
        asio::co_spawn(
            asio::make_strand(pool),
            [&, host]() -> asio::awaitable<void> {
                auto permit = co_await lim->async_acquire(host, asio::use_awaitable);
                int now = ++active;
                int h = ++host_active[host];
                for (int p = peak; now > p && !peak.compare_exchange_weak(p, now);) {
                }
                for (int p = host_peak; h > p && !host_peak.compare_exchange_weak(p, h);) {
                }
                asio::steady_timer t(co_await asio::this_coro::executor, 1ms);
                co_await t.async_wait(asio::use_awaitable);
                --host_active[host];
                --active;
                ++finished;
            },
            asio::detached);
    }
    for (int i = 0; i < 2000 && finished < workers; ++i)
        std::this_thread::sleep_for(5ms);
    pool.join();
    BOOST_TEST(finished.load() == workers);
    BOOST_TEST(peak.load() <= 3);
    BOOST_TEST(host_peak.load() <= 2);
    auto s = lim->stats();
    BOOST_TEST(s.peak_active <= 3u);
    BOOST_TEST(s.active == 0u);
    BOOST_TEST(s.granted == static_cast<std::uint64_t>(workers));
}

// A host at its own limit does not block waiters for another host.
BOOST_AUTO_TEST_CASE(full_host_lets_other_hosts_pass) {
    up::limiter lim({4, 1});
    auto a1 = lim.async_acquire("a", asio::use_future);
    auto held = a1.get();
    auto a2 = lim.async_acquire("a", asio::use_future);
    auto b1 = lim.async_acquire("b", asio::use_future);
    // Futures have no executor of their own: completions run on the system executor.
    BOOST_TEST((b1.wait_for(10s) == std::future_status::ready));
    BOOST_TEST(lim.stats().waiting == 1u); // a2, behind the held permit for "a"
    BOOST_TEST((a2.wait_for(0s) != std::future_status::ready));
    held.release();
    BOOST_TEST((a2.wait_for(10s) == std::future_status::ready));
}

BOOST_AUTO_TEST_CASE(waiting_acquire_is_cancellable) {
    asio::io_context io;
    up::limiter lim({1, 1});
    auto held = lim.async_acquire("h", asio::use_future).get();
    asio::cancellation_signal sig;
    std::optional<boost::system::error_code> result;
    lim.async_acquire("h", asio::bind_cancellation_slot(
                               sig.slot(), asio::bind_executor(io, [&](boost::system::error_code ec,
                                                                       up::limiter::permit p) {
                                   result = ec;
                                   BOOST_TEST(!p);
                               })));
    io.poll();
    io.restart();
    BOOST_TEST(!result);
    BOOST_TEST(lim.stats().waiting == 1u);
    sig.emit(asio::cancellation_type::terminal);
    io.run();
    BOOST_REQUIRE(result);
    BOOST_TEST((*result == asio::error::operation_aborted));
    BOOST_TEST(lim.stats().waiting == 0u);
    held.release();
    BOOST_TEST(lim.stats().active == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(coordination)

BOOST_AUTO_TEST_CASE(wait_unless_never_misses_a_wakeup) {
    // A notifier that flips the flag before notifying on another thread is never missed.
    asio::thread_pool pool(2);
    for (int round = 0; round < 200; ++round) {
        ascpp::detail::wait_queue q(pool.get_executor());
        std::atomic<bool> flag{false};
        auto f = q.async_wait_unless([&] { return flag.load(); }, asio::use_future);
        auto notified = asio::post(pool, asio::use_future([&] {
                                       flag = true;
                                       q.notify_all();
                                   }));
        BOOST_REQUIRE((f.wait_for(10s) == std::future_status::ready));
        f.get();
        notified.get(); // the queue must outlive its notifier
    }
    pool.join();
}

asio::awaitable<void> sleeper(std::chrono::milliseconds d, std::atomic<int>& finished,
                              std::atomic<int>& aborted) {
    try {
        asio::steady_timer t(co_await asio::this_coro::executor, d);
        co_await t.async_wait(asio::use_awaitable);
        ++finished;
    } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted)
            ++aborted;
        throw;
    }
}

asio::awaitable<void> failer() {
    asio::steady_timer t(co_await asio::this_coro::executor, 5ms);
    co_await t.async_wait(asio::use_awaitable);
    throw std::runtime_error("part 3 failed");
}

BOOST_AUTO_TEST_CASE(first_failure_cancels_the_rest_and_is_rethrown) {
    asio::io_context io;
    std::atomic<int> finished{0}, aborted{0};
    auto strand = asio::make_strand(io);
    auto f = asio::co_spawn(
        strand,
        [&]() -> asio::awaitable<void> {
            ascpp::detail::task_group g(co_await asio::this_coro::executor);
            for (int i = 0; i < 5; ++i)
                g.spawn(sleeper(10s, finished, aborted));
            g.spawn(failer());
            co_await g.join();
        },
        asio::use_future);
    try {
        run_for(io, f);
        BOOST_FAIL("expected the failure");
    } catch (const std::runtime_error& e) {
        BOOST_TEST(std::string(e.what()) == "part 3 failed");
    }
    BOOST_TEST(finished.load() == 0);
    BOOST_TEST(aborted.load() == 5);
}

BOOST_AUTO_TEST_CASE(cancelling_the_joiner_cancels_every_task_and_waits_for_them) {
    asio::io_context io;
    std::atomic<int> finished{0}, aborted{0};
    asio::cancellation_signal sig;
    auto f = asio::co_spawn(
        asio::make_strand(io),
        [&]() -> asio::awaitable<void> {
            ascpp::detail::task_group g(co_await asio::this_coro::executor);
            for (int i = 0; i < 4; ++i)
                g.spawn(sleeper(10s, finished, aborted));
            co_await g.join();
        },
        asio::bind_cancellation_slot(sig.slot(), asio::use_future));
    io.run_for(20ms);
    io.restart();
    sig.emit(asio::cancellation_type::terminal);
    BOOST_CHECK_THROW(run_for(io, f), boost::system::system_error);
    BOOST_TEST(aborted.load() == 4);
    BOOST_TEST(finished.load() == 0);
}

BOOST_AUTO_TEST_CASE(all_succeed) {
    asio::io_context io;
    std::atomic<int> finished{0}, aborted{0};
    auto f = asio::co_spawn(
        asio::make_strand(io),
        [&]() -> asio::awaitable<void> {
            ascpp::detail::task_group g(co_await asio::this_coro::executor);
            for (int i = 0; i < 10; ++i)
                g.spawn(sleeper(std::chrono::milliseconds(i), finished, aborted));
            co_await g.join();
        },
        asio::use_future);
    run_for(io, f);
    BOOST_TEST(finished.load() == 10);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(capped_exponential_with_jitter) {
    up::retry_options r;
    r.initial_delay = 100ms;
    r.multiplier = 2;
    r.max_delay = 1000ms;
    std::mt19937_64 rng(1);
    std::set<std::int64_t> seen;
    for (unsigned attempt = 1; attempt <= 8; ++attempt) {
        auto ceiling = std::min<std::int64_t>(1000, 100 << (attempt - 1));
        for (int i = 0; i < 50; ++i) {
            auto d = up::backoff_delay(r, attempt, rng).count();
            BOOST_TEST(d >= ceiling / 2);
            BOOST_TEST(d <= ceiling);
            seen.insert(d);
        }
    }
    BOOST_TEST(seen.size() > 20u); // jittered, not fixed steps
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(progress_reports)

BOOST_AUTO_TEST_CASE(per_file_and_totals) {
    std::vector<up::progress> seen;
    up::progress_tracker t([&](const up::progress& p) { seen.push_back(p); });
    auto a = t.add_file("a.aar", 1000, 4);
    auto b = t.add_file("Manifest.json", 100, 1, 100, 1); // resumed: already complete
    t.add_in_flight(a, 250);
    t.part_done(a, 250, 250);
    t.add_in_flight(a, 100);
    t.attempt_failed(a, 100); // the part will be sent again
    t.add_in_flight(a, 40);
    t.file_finished(b);
    auto s = t.snapshot(a);
    BOOST_TEST(s.file.name == "a.aar");
    BOOST_TEST(s.file.bytes_done == 250u);
    BOOST_TEST(s.file.bytes_in_flight == 40u);
    BOOST_TEST(s.file.bytes_resent == 100u);
    BOOST_TEST(s.file.parts_done == 1u);
    BOOST_TEST(s.total_bytes == 1100u);
    BOOST_TEST(s.total_bytes_done == 350u);
    BOOST_TEST(s.total_bytes_in_flight == 40u);
    BOOST_TEST(s.total_bytes_resent == 100u);
    BOOST_TEST(s.total_parts == 5u);
    BOOST_TEST(s.total_parts_done == 2u);
    BOOST_TEST(s.files_finished == 1u);
    BOOST_TEST(s.files_total == 2u);
    BOOST_TEST(seen.back().file.name == "Manifest.json");
    BOOST_TEST(seen.back().file.finished);
    BOOST_TEST(seen.size() == 8u);
    // Confirmed bytes never went back, whatever the attempts did.
    for (std::size_t i = 1; i < seen.size(); ++i)
        BOOST_TEST(seen[i].total_bytes_done >= seen[i - 1].total_bytes_done);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hashing_pass)

BOOST_AUTO_TEST_CASE(hashes_the_whole_file_and_waits_for_the_frontier) {
    auto data = pseudo_random_bytes(3 * 1024 * 1024 + 123, 11);
    auto path = temp_file("pass.bin", data);
    auto pass = std::make_shared<up::detail::file_hash_pass>(
        path, data.size(), up::hash_algorithm::sha_256, 1024 * 1024, 256 * 1024);
    auto f = asio::co_spawn(asio::make_strand(ascpp::detail::blocking_pool()), pass->run(),
                            asio::use_future);
    // With the frontier at 0 the pass may read 1 MiB, then must wait.
    for (int i = 0; i < 400 && pass->position() < 1024 * 1024; ++i)
        std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(50ms);
    BOOST_TEST(pass->position() == 1024u * 1024u);
    BOOST_TEST((f.wait_for(0s) != std::future_status::ready));
    pass->set_frontier(1024 * 1024);
    for (int i = 0; i < 400 && pass->position() < 2 * 1024 * 1024; ++i)
        std::this_thread::sleep_for(5ms);
    BOOST_TEST(pass->position() == 2u * 1024u * 1024u);
    pass->set_frontier(data.size());
    BOOST_REQUIRE((f.wait_for(20s) == std::future_status::ready));
    BOOST_TEST(f.get() == up::sha256_of(data));
}

BOOST_AUTO_TEST_CASE(cancellation_stops_a_parked_pass) {
    auto data = pseudo_random_bytes(2 * 1024 * 1024, 12);
    auto path = temp_file("cancel.bin", data);
    auto pass = std::make_shared<up::detail::file_hash_pass>(path, data.size(),
                                                             up::hash_algorithm::md5, 256 * 1024);
    asio::cancellation_signal sig;
    auto strand = asio::make_strand(ascpp::detail::blocking_pool());
    auto f = asio::co_spawn(strand, pass->run(),
                            asio::bind_cancellation_slot(sig.slot(), asio::use_future));
    for (int i = 0; i < 400 && pass->position() < 256 * 1024; ++i)
        std::this_thread::sleep_for(5ms);
    // Emitted on the pass's strand, as co_spawn's forwarding from an upload does.
    asio::post(strand, [&] { sig.emit(asio::cancellation_type::terminal); });
    BOOST_REQUIRE((f.wait_for(20s) == std::future_status::ready));
    BOOST_CHECK_THROW(f.get(), boost::system::system_error);
    // The future is ready before the strand has finished the handler that completed it, which
    // still uses `sig`'s slot: let the strand drain before `sig` goes out of scope.
    asio::post(strand, asio::use_future).wait();
}

// A pass over a file shorter than it was told must end with file_changed.
template <class T>
void expect_file_changed(std::future<T>& f) {
    BOOST_REQUIRE((f.wait_for(20s) == std::future_status::ready));
    try {
        f.get();
        BOOST_FAIL("expected file_changed");
    } catch (const up::upload_error& e) {
        BOOST_TEST((e.code() == up::upload_errc::file_changed));
    }
}

BOOST_AUTO_TEST_CASE(a_file_that_shrank_is_reported) {
    auto path = temp_file("short.bin", "0123456789");
    auto pass = std::make_shared<up::detail::file_hash_pass>(path, 20, up::hash_algorithm::sha_256,
                                                             1 << 20);
    auto f = asio::co_spawn(asio::make_strand(ascpp::detail::blocking_pool()), pass->run(),
                            asio::use_future);
    expect_file_changed(f);
}

// Parts of two files, of uneven sizes and more than the eight lanes, asked for at once: each
// MD5 is that of its bytes.
BOOST_AUTO_TEST_CASE(part_md5s_of_many_files_side_by_side) {
    std::vector<std::string> data = {pseudo_random_bytes(3 * 1024 * 1024 + 777, 13),
                                     pseudo_random_bytes(2 * 1024 * 1024 + 5, 14)};
    std::vector<std::filesystem::path> paths = {temp_file("parts-a.bin", data[0]),
                                                temp_file("parts-b.bin", data[1])};
    struct asked {
        std::size_t file;
        std::uint64_t offset, length;
        std::shared_ptr<up::detail::part_md5> md5;
    };
    std::vector<asked> parts;
    std::mt19937 rng(5);
    for (std::size_t f = 0; f < data.size(); ++f)
        for (std::uint64_t off = 0; off < data[f].size();) {
            std::uint64_t len = std::min<std::uint64_t>(data[f].size() - off, rng() % (700 * 1024));
            parts.push_back({f, off, len, up::detail::hash_part(paths[f], off, len)});
            off += len;
        }
    BOOST_TEST_REQUIRE(parts.size() > 9u);
    auto strand = asio::make_strand(ascpp::detail::blocking_pool());
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto& p = parts[i];
        auto d = asio::co_spawn(strand, p.md5->get(), asio::use_future);
        BOOST_REQUIRE((d.wait_for(20s) == std::future_status::ready));
        BOOST_TEST(d.get() == up::md5_of(std::string_view(data[p.file]).substr(p.offset, p.length)),
                   "part " << i);
    }
}

// Parts of uploads still waiting for the limiter are hashed only in lanes left idle beside a
// part asked for, and a promoted one like any other; every MD5 is that of its bytes.
BOOST_AUTO_TEST_CASE(idle_lane_parts_wait_for_an_asked_for_part_or_their_promotion) {
    const std::string data = pseudo_random_bytes(6 * 300 * 1024, 21);
    auto path = temp_file("idle-lanes.bin", data);
    auto strand = asio::make_strand(ascpp::detail::blocking_pool());
    auto md5_of_part = [&](std::size_t i) {
        return up::md5_of(std::string_view(data).substr(i * 300 * 1024, 300 * 1024));
    };
    auto get = [&](const std::shared_ptr<up::detail::part_md5>& job) {
        return asio::co_spawn(strand, job->get(), asio::use_future);
    };
    std::vector<std::shared_ptr<up::detail::part_md5>> idle;
    for (std::size_t i = 0; i < 3; ++i)
        idle.push_back(up::detail::hash_part_in_idle_lanes(path, i * 300 * 1024, 300 * 1024));
    // Nothing asked for: the hasher reads none of them.
    auto waiting = get(idle[0]);
    BOOST_TEST((waiting.wait_for(300ms) == std::future_status::timeout));
    // One part asked for: the idle lanes beside it take the three.
    auto asked = up::detail::hash_part(path, 3 * 300 * 1024, 300 * 1024);
    auto a = get(asked);
    BOOST_REQUIRE((a.wait_for(20s) == std::future_status::ready));
    BOOST_TEST(a.get() == md5_of_part(3));
    BOOST_REQUIRE((waiting.wait_for(20s) == std::future_status::ready));
    BOOST_TEST(waiting.get() == md5_of_part(0));
    for (std::size_t i = 1; i < 3; ++i) {
        auto d = get(idle[i]);
        BOOST_REQUIRE((d.wait_for(20s) == std::future_status::ready));
        BOOST_TEST(d.get() == md5_of_part(i), "part " << i);
    }
    // A waiting one promoted (its send began) is hashed on its own; promoting again is harmless.
    auto late = up::detail::hash_part_in_idle_lanes(path, 4 * 300 * 1024, 300 * 1024);
    auto l = get(late);
    BOOST_TEST((l.wait_for(200ms) == std::future_status::timeout));
    up::detail::promote(late);
    up::detail::promote(late);
    BOOST_REQUIRE((l.wait_for(20s) == std::future_status::ready));
    BOOST_TEST(l.get() == md5_of_part(4));
    // A withdrawn one (its upload ended first) is never read, even beside an asked-for part, and
    // promoting it afterwards does not bring it back.
    auto dropped = up::detail::hash_part_in_idle_lanes(path, 0, 300 * 1024);
    up::detail::withdraw(dropped);
    up::detail::promote(dropped);
    asio::cancellation_signal stop_waiting;
    auto d = asio::co_spawn(strand, dropped->get(),
                            asio::bind_cancellation_slot(stop_waiting.slot(), asio::use_future));
    auto again = up::detail::hash_part(path, 5 * 300 * 1024, 300 * 1024);
    auto g = get(again);
    BOOST_REQUIRE((g.wait_for(20s) == std::future_status::ready));
    BOOST_TEST(g.get() == md5_of_part(5));
    BOOST_TEST((d.wait_for(300ms) == std::future_status::timeout));
    // The wait ends before the part goes away: get() must not outlive its part.
    asio::post(strand, [&] { stop_waiting.emit(asio::cancellation_type::terminal); });
    BOOST_REQUIRE((d.wait_for(20s) == std::future_status::ready));
    BOOST_CHECK_THROW(d.get(), std::exception);
}

BOOST_AUTO_TEST_CASE(a_part_past_the_end_of_its_file_is_reported) {
    auto path = temp_file("short_parts.bin", "0123456789");
    auto md5 = up::detail::hash_part(path, 8, 12);
    auto f = asio::co_spawn(asio::make_strand(ascpp::detail::blocking_pool()), md5->get(),
                            asio::use_future);
    expect_file_changed(f);
    // A file that cannot be opened fails its part, not the hasher: the next part is hashed.
    auto missing = up::detail::hash_part(path.string() + ".missing", 0, 4);
    auto good = up::detail::hash_part(path, 0, 4);
    auto g = asio::co_spawn(asio::make_strand(ascpp::detail::blocking_pool()), good->get(),
                            asio::use_future);
    BOOST_REQUIRE((g.wait_for(20s) == std::future_status::ready));
    BOOST_TEST(g.get() == up::md5_of(std::string_view("0123")));
    auto m = asio::co_spawn(asio::make_strand(ascpp::detail::blocking_pool()), missing->get(),
                            asio::use_future);
    BOOST_REQUIRE((m.wait_for(20s) == std::future_status::ready));
    BOOST_CHECK_THROW(m.get(), up::upload_error);
}

// The file checksum pass beside the part hasher: what the hasher reads of the parts comes off the
// shelf, whatever order the parts are hashed in, and the pass reads the rest itself.
namespace {

struct shelf_run {
    up::digest file;
    std::vector<up::digest> parts;
    std::uint64_t pass_read = 0;
    std::uint64_t taken = 0;
};

// Hashes `data` as parts of `part_size` (the last one shorter), the parts in `order` (indices)
// through the part hasher, all but `resumed` (an index, or none) offered to the pass's shelf.
shelf_run hash_with_shelf(const std::string& data, const std::filesystem::path& path,
                          std::uint64_t part_size, const std::vector<std::size_t>& order,
                          std::optional<std::size_t> resumed = std::nullopt,
                          std::optional<std::size_t> unreadable = std::nullopt) {
    std::vector<up::detail::read_shelf::range> ranges;
    for (std::uint64_t off = 0; off < data.size(); off += part_size)
        ranges.push_back({off, std::min<std::uint64_t>(part_size, data.size() - off)});
    std::vector<up::detail::read_shelf::range> to_hash;
    for (std::size_t i = 0; i < ranges.size(); ++i)
        if (i != resumed)
            to_hash.push_back(ranges[i]);
    auto shelf = std::make_shared<up::detail::read_shelf>(to_hash, true, false);
    // A lead of the whole file: the pass never waits for sends here.
    auto pass = std::make_shared<up::detail::file_hash_pass>(
        path, data.size(), up::hash_algorithm::sha_256, data.size() + 1, 1024 * 1024, shelf);
    auto strand = asio::make_strand(ascpp::detail::blocking_pool());
    auto f = asio::co_spawn(strand, pass->run(), asio::use_future);
    std::vector<std::shared_ptr<up::detail::part_md5>> jobs(ranges.size());
    for (auto i : order)
        if (i != resumed)
            jobs[i] = up::detail::hash_part(
                i == unreadable ? std::filesystem::path(path.string() + ".missing") : path,
                ranges[i].offset, ranges[i].length, shelf);
    shelf_run r;
    BOOST_REQUIRE((f.wait_for(30s) == std::future_status::ready));
    r.file = f.get();
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (!jobs[i] || i == unreadable)
            continue;
        auto d = asio::co_spawn(strand, jobs[i]->get(), asio::use_future);
        BOOST_REQUIRE((d.wait_for(30s) == std::future_status::ready));
        r.parts.push_back(d.get());
    }
    r.pass_read = pass->bytes_read();
    r.taken = shelf->bytes_taken();
    return r;
}

std::vector<up::digest> expected_part_md5s(const std::string& data, std::uint64_t part_size,
                                           std::optional<std::size_t> skip = std::nullopt) {
    std::vector<up::digest> out;
    std::size_t i = 0;
    for (std::uint64_t off = 0; off < data.size(); off += part_size, ++i)
        if (i != skip)
            out.push_back(up::md5_of(std::string_view(data).substr(off, part_size)));
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(parts_out_of_order_feed_the_file_checksum_exactly) {
    // 11 parts of 700 KiB and a short last one: more parts than lanes, chunks not aligned to
    // the parts' ends, hashed last part first.
    const std::uint64_t part = 700 * 1024;
    auto data = pseudo_random_bytes(11 * part + 4321, 21);
    auto path = temp_file("shelf-reverse.bin", data);
    std::vector<std::size_t> order;
    for (std::size_t i = 12; i-- > 0;)
        order.push_back(i);
    auto r = hash_with_shelf(data, path, part, order);
    BOOST_TEST(r.file == up::sha256_of(data));
    BOOST_TEST(r.parts == expected_part_md5s(data, part), boost::test_tools::per_element());
    // Every byte came from the part hasher's reads: the pass read none itself.
    BOOST_TEST(r.pass_read == 0u);
    BOOST_TEST(r.taken == data.size());
}

BOOST_AUTO_TEST_CASE(chunks_over_the_budget_are_read_by_the_pass) {
    // Eight parts of 6 MiB hashed side by side: the seven the pass does not need first are more
    // than shelf_budget, so some chunks are not kept and the pass reads those bytes itself.
    const std::uint64_t part = 6 * 1024 * 1024;
    static_assert(7 * 6 * 1024 * 1024 > up::detail::shelf_budget);
    auto data = pseudo_random_bytes(8 * part, 26);
    auto path = temp_file("shelf-budget.bin", data);
    auto r = hash_with_shelf(data, path, part, {0, 1, 2, 3, 4, 5, 6, 7});
    BOOST_TEST(r.file == up::sha256_of(data));
    BOOST_TEST(r.parts == expected_part_md5s(data, part), boost::test_tools::per_element());
    // Every byte hashed once: off the shelf or read by the pass.
    BOOST_TEST(r.pass_read + r.taken == data.size());
    BOOST_TEST_MESSAGE("pass read " << r.pass_read << " of " << data.size());
    std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(a_resumed_part_is_read_by_the_pass_itself) {
    const std::uint64_t part = 1024 * 1024;
    auto data = pseudo_random_bytes(5 * part + 17, 22);
    auto path = temp_file("shelf-resumed.bin", data);
    std::mt19937 rng(3);
    std::vector<std::size_t> order = {0, 1, 2, 3, 4, 5};
    std::shuffle(order.begin(), order.end(), rng);
    auto r = hash_with_shelf(data, path, part, order, 2);
    BOOST_TEST(r.file == up::sha256_of(data));
    BOOST_TEST(r.parts == expected_part_md5s(data, part, 2), boost::test_tools::per_element());
    BOOST_TEST(r.pass_read == part);
    BOOST_TEST(r.taken == data.size() - part);
}

BOOST_AUTO_TEST_CASE(a_part_the_hasher_cannot_read_is_read_by_the_pass) {
    const std::uint64_t part = 300 * 1024;
    auto data = pseudo_random_bytes(3 * part, 23);
    auto path = temp_file("shelf-unreadable.bin", data);
    auto r = hash_with_shelf(data, path, part, {0, 1, 2}, std::nullopt, 1);
    BOOST_TEST(r.file == up::sha256_of(data));
    BOOST_TEST(r.pass_read == part);
}

BOOST_AUTO_TEST_CASE(one_part_and_empty_files_with_a_shelf) {
    auto one = pseudo_random_bytes(123457, 24);
    auto r = hash_with_shelf(one, temp_file("shelf-one.bin", one), 5 * 1024 * 1024, {0});
    BOOST_TEST(r.file == up::sha256_of(one));
    BOOST_TEST(r.parts == expected_part_md5s(one, 5 * 1024 * 1024),
               boost::test_tools::per_element());
    BOOST_TEST(r.pass_read == 0u);
    auto empty = hash_with_shelf("", temp_file("shelf-empty.bin", ""), 1024, {});
    BOOST_TEST(empty.file == up::sha256_of(""));
}

// Runs a SHA-256 pass over `data` (in `path`) with `shelf`: whether it got the right digest
// without reading the file itself.
bool pass_reads_nothing_itself(const std::filesystem::path& path, const std::string& data,
                               std::shared_ptr<up::detail::read_shelf> shelf) {
    auto pass = std::make_shared<up::detail::file_hash_pass>(
        path, data.size(), up::hash_algorithm::sha_256, data.size() + 1, 1024 * 1024, shelf);
    auto f = asio::co_spawn(asio::make_strand(ascpp::detail::blocking_pool()), pass->run(),
                            asio::use_future);
    BOOST_REQUIRE((f.wait_for(30s) == std::future_status::ready));
    return f.get() == up::sha256_of(data) && pass->bytes_read() == 0u;
}

BOOST_AUTO_TEST_CASE(a_part_hashed_twice_offers_its_bytes_once) {
    const std::uint64_t part = 512 * 1024;
    auto data = pseudo_random_bytes(2 * part + 99, 25);
    auto path = temp_file("shelf-twice.bin", data);
    auto shelf = std::make_shared<up::detail::read_shelf>(
        std::vector<up::detail::read_shelf::range>{{0, part}, {part, part}, {2 * part, 99}}, true,
        false);
    // The second part twice (as after an ETag mismatch), before and after the others.
    std::vector<std::shared_ptr<up::detail::part_md5>> jobs;
    jobs.push_back(up::detail::hash_part(path, part, part, shelf));
    jobs.push_back(up::detail::hash_part(path, 0, part, shelf));
    jobs.push_back(up::detail::hash_part(path, 2 * part, 99, shelf));
    jobs.push_back(up::detail::hash_part(path, part, part, shelf));
    auto strand = asio::make_strand(ascpp::detail::blocking_pool());
    for (auto& j : jobs) {
        auto d = asio::co_spawn(strand, j->get(), asio::use_future);
        BOOST_REQUIRE((d.wait_for(30s) == std::future_status::ready));
        d.get();
    }
    BOOST_TEST(pass_reads_nothing_itself(path, data, shelf));
    BOOST_TEST(shelf->bytes_taken() == data.size());
}

// The sends take the chunks the part hasher read (each byte read once for the MD5s, the file
// checksum and the upload): what a send gets is the file's bytes, and the pass still gets every
// byte.
BOOST_AUTO_TEST_CASE(sends_take_the_hashed_chunks_and_the_pass_still_gets_every_byte) {
    const std::uint64_t part = 600 * 1024; // chunks of 256 KiB: two whole, one short per part
    auto data = pseudo_random_bytes(3 * part + 1234, 31);
    auto path = temp_file("shelf-sends.bin", data);
    std::vector<up::detail::read_shelf::range> ranges{
        {0, part}, {part, part}, {2 * part, part}, {3 * part, 1234}};
    auto shelf = std::make_shared<up::detail::read_shelf>(ranges, true, true);
    auto strand = asio::make_strand(ascpp::detail::blocking_pool());
    for (const auto& r : ranges) {
        auto job = up::detail::hash_part(path, r.offset, r.length, shelf);
        auto d = asio::co_spawn(strand, job->get(), asio::use_future);
        BOOST_REQUIRE((d.wait_for(30s) == std::future_status::ready));
        BOOST_TEST(d.get() == up::md5_of(std::string_view(data).substr(r.offset, r.length)));
    }
    // Each part sent the way body_reader asks: chunk by chunk, from the file where nothing is held.
    const std::size_t chunk = up::detail::chunk_bytes;
    std::string sent;
    for (const auto& r : ranges)
        for (std::uint64_t at = r.offset; at < r.offset + r.length;) {
            const auto max =
                static_cast<std::size_t>(std::min<std::uint64_t>(chunk, r.offset + r.length - at));
            auto h = shelf->take(at, max);
            BOOST_REQUIRE(h.hold);
            sent.append(reinterpret_cast<const char*>(h.bytes.data()), h.bytes.size());
            at += h.bytes.size();
        }
    BOOST_TEST(sent == data);
    BOOST_TEST(shelf->bytes_sent_from_shelf() == data.size());
    BOOST_TEST(pass_reads_nothing_itself(path, data, shelf));
}

// A send that went past a chunk (it read those bytes itself) drops it and keeps nothing offered
// behind it later; a send started again from the part's start gets chunks offered ahead of it.
BOOST_AUTO_TEST_CASE(a_send_drops_the_chunks_it_went_past) {
    const std::size_t chunk = up::detail::chunk_bytes;
    auto offer = [](up::detail::read_shelf& shelf, std::uint64_t at, char fill) {
        auto buffer = up::detail::make_chunk_buffer();
        std::fill_n(buffer.get(), chunk, static_cast<unsigned char>(fill));
        shelf.offer(0, at, buffer, chunk);
    };
    up::detail::read_shelf shelf({{0, 4 * chunk}}, false, true);
    offer(shelf, 0, 'a');
    offer(shelf, chunk, 'b');
    // The send reads its first chunk itself (say the hasher was late): 'a' is dropped.
    BOOST_TEST(!shelf.take(chunk / 2, chunk / 2).hold);
    auto b = shelf.take(chunk, chunk);
    BOOST_REQUIRE(b.hold);
    BOOST_TEST(b.bytes.size() == chunk);
    BOOST_TEST(b.bytes[0] == 'b');
    // Offered behind the send: not kept for it.
    offer(shelf, chunk, 'x');
    offer(shelf, 3 * chunk, 'd');
    BOOST_TEST(!shelf.take(chunk, chunk).hold);
    // Bigger than the send asks for: not handed out, the send reads those bytes itself.
    BOOST_TEST(!shelf.take(3 * chunk, chunk / 2).hold);
    // Sent again from the start (a retry): chunks offered ahead of it are kept for it again.
    BOOST_TEST(!shelf.take(0, chunk).hold);
    offer(shelf, 3 * chunk, 'e');
    auto e = shelf.take(3 * chunk, chunk);
    BOOST_REQUIRE(e.hold);
    BOOST_TEST(e.bytes[0] == 'e');
    BOOST_TEST(shelf.bytes_sent_from_shelf() == 2 * chunk);
    // Outside every part: nothing.
    BOOST_TEST(!shelf.take(4 * chunk, chunk).hold);
}

BOOST_AUTO_TEST_SUITE_END()
