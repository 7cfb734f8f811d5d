// API call cost (scenario api): sequential GET /v1/backgroundAssets/{id} of one asset pack, by
// ascpp on its keep-alive pool, by the same client code with a new connection per request (what
// the pool saves), by curl (a process and a TLS handshake per request) and by one python3-aiohttp
// session. Requests per second and client CPU per request; the simulator must see every GET
// exactly once.
#include "scenarios.hpp"

#include <cstdio>
#include <iostream>
#include <map>
#include <stdexcept>

namespace ascpp_bench {

json::object scenario_api(const settings& s, bench_env& env, const fs::path& dir) {
    // One asset pack to read over and over.
    auto pack = env.run([&]() -> asio::awaitable<std::string> {
        api::background_asset_create_request req;
        req.app_id = env.app;
        req.asset_pack_identifier = pack_identifier("get");
        co_return (co_await env.client->create_background_asset(std::move(req))).data.id;
    }());
    auto url = env.api_url + "/v1/backgroundAssets/" + pack;
    std::cout << "\n== API call cost: sequential GET /v1/backgroundAssets/{id}, " << s.reps
              << " run(s) each ==\n";
    std::map<std::string, std::vector<double>> rps, us;
    auto requests_seen = [&] {
        auto st = env.stats();
        return num(st.at("requests").as_object(), "backgroundAssets_getInstance");
    };
    // ascpp's own GETs through `client`, `calls` of them, recorded under `who`.
    auto run_ascpp = [&](const std::string& who, api::client& client, int calls) {
        env.reset_stats();
        auto cpu0 = cpu_seconds_self();
        auto t0 = std::chrono::steady_clock::now();
        env.run([&]() -> asio::awaitable<void> {
            for (int i = 0; i < calls; ++i) {
                auto d = co_await client.get_background_asset(pack);
                if (d.data.id != pack)
                    throw std::runtime_error(who + ": GET returned another asset pack");
            }
        }());
        double wall = seconds_since(t0);
        double cpu = cpu_seconds_self() - cpu0;
        if (requests_seen() != static_cast<std::uint64_t>(calls))
            fail(who + ": the simulator did not see every GET exactly once");
        rps[who].push_back(calls / wall);
        us[who].push_back(1e6 * cpu / calls);
    };
    for (int rep = 0; rep < s.reps; ++rep) {
        // ascpp: one client, its keep-alive pool.
        run_ascpp("ascpp", *env.client, s.api_calls);
        // The same client code with a new connection (TCP + TLS handshake) per request: what the
        // pool saves.
        {
            auto config = env.config;
            config.http.max_requests_per_connection = 1;
            api::client fresh(env.io.get_executor(), std::move(config));
            run_ascpp("ascpp-new-conn", fresh, s.curl_calls);
        }
        if (!s.peers)
            continue;

        auto auth = env.client->tokens().authorization();
        // curl: a new process (and TLS handshake) per request.
        write_text(dir / "auth.hdr", "Authorization: " + auth + "\n", true);
        env.reset_stats();
        double cwall = 0, ccpu = 0;
        for (int i = 0; i < s.curl_calls; ++i) {
            auto c = run_child({"curl", "-sS", "--fail", "-o", "/dev/null", "--cacert", env.ca_file,
                                "-H", "@" + (dir / "auth.hdr").string(), url});
            if (c.exit_code != 0)
                fail("curl GET exited with " + std::to_string(c.exit_code));
            cwall += c.wall;
            ccpu += c.cpu;
        }
        if (requests_seen() != static_cast<std::uint64_t>(s.curl_calls))
            fail("curl: the simulator did not see every GET exactly once");
        rps["curl"].push_back(s.curl_calls / cwall);
        us["curl"].push_back(1e6 * ccpu / s.curl_calls);

        // aiohttp: one session.
        env.reset_stats();
        auto out = run_aiohttp(s, dir,
                               json::object{{"mode", "get"},
                                            {"ca", env.ca_file},
                                            {"url", url},
                                            {"count", s.api_calls},
                                            {"authorization", auth}});
        if (requests_seen() != static_cast<std::uint64_t>(s.api_calls))
            fail("python3-aiohttp: the simulator did not see every GET exactly once");
        rps["aiohttp"].push_back(s.api_calls / out.at("seconds").to_number<double>());
        us["aiohttp"].push_back(1e6 * out.at("cpu_seconds").to_number<double>() / s.api_calls);
        fs::remove(dir / "auth.hdr");
    }
    json::object figures;
    std::printf("%-8s | %-28s | %-28s\n", "", "requests/s [min-max]", "client CPU us/request");
    for (auto& [who, v] : rps) {
        auto r = summarize(v);
        auto c = summarize(us[who]);
        figures[who] =
            json::object{{"requests_per_s", to_json(r)}, {"cpu_us_per_request", to_json(c)}};
        std::printf("%-8s | %-28s | %-28s\n", who.c_str(), cell(r, 0).c_str(), cell(c, 0).c_str());
    }
    json::object ratios;
    if (s.peers) {
        auto m = [&](const std::string& w) { return summarize(rps[w]).median; };
        auto c = [&](const std::string& w) { return summarize(us[w]).median; };
        ratios = {{"ascpp_over_curl_requests_per_s", m("ascpp") / m("curl")},
                  {"ascpp_over_ascpp_new_conn_requests_per_s", m("ascpp") / m("ascpp-new-conn")},
                  {"ascpp_new_conn_cpu_over_ascpp_cpu", c("ascpp-new-conn") / c("ascpp")},
                  {"ascpp_over_aiohttp_requests_per_s", m("ascpp") / m("aiohttp")},
                  {"curl_cpu_over_ascpp_cpu", c("curl") / c("ascpp")},
                  {"aiohttp_cpu_over_ascpp_cpu", c("aiohttp") / c("ascpp")}};
        std::cout << "ratios: ascpp/curl " << fmt(m("ascpp") / m("curl"), 1)
                  << "x requests/s, ascpp/aiohttp " << fmt(m("ascpp") / m("aiohttp"), 1)
                  << "x; CPU per request: curl " << fmt(c("curl") / c("ascpp"), 1) << "x, aiohttp "
                  << fmt(c("aiohttp") / c("ascpp"), 1) << "x ascpp's; a new connection per "
                  << "request: " << fmt(m("ascpp") / m("ascpp-new-conn"), 1)
                  << "x fewer requests/s, " << fmt(c("ascpp-new-conn") / c("ascpp"), 1)
                  << "x the CPU\n";
    }
    return {{"name", "api_call_cost"},       {"ascpp_and_aiohttp_requests", s.api_calls},
            {"curl_requests", s.curl_calls}, {"runs_per_contender", s.reps},
            {"figures", std::move(figures)}, {"ratios", std::move(ratios)}};
}

} // namespace ascpp_bench
