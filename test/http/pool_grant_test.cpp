// The pools' grant decision (src/http/pool_grant.hpp) with a stand-in connection: no sockets.
#include <boost/test/unit_test.hpp>

#include "pool_grant.hpp"

#include <set>

static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "http_pool_grant_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace detail = ascpp::http::detail;

namespace {

struct fake_connection {
    int id = 0;
    bool reusable = true;
};

using conn_ptr = std::unique_ptr<fake_connection>;
using state = detail::pool_state<fake_connection>;

struct pool_fixture {
    state s;
    std::vector<conn_ptr> closed;
    std::set<std::string> waiting; // origins with requests waiting
    detail::pool_bounds bounds{2, 3};

    std::optional<detail::pool_grant<fake_connection>> grant(const std::string& key,
                                                             bool fresh = false) {
        return detail::grant_connection(
            s, key, fresh, bounds, [](const fake_connection& c) { return c.reusable; },
            [&](const std::string& k) { return waiting.count(k) != 0; }, closed);
    }
    // A connection of `key` opened earlier and now idle (most recently used last).
    void make_idle(const std::string& key, int id, bool reusable = true) {
        auto& pool = s.pools[key];
        ++pool.open;
        ++s.total_open;
        s.peak_open = std::max(s.peak_open, s.total_open);
        pool.idle.push_back(std::make_unique<fake_connection>(id, reusable));
    }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(opens_up_to_the_per_origin_bound_then_waits, pool_fixture) {
    auto a = grant("a");
    auto b = grant("a");
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST_REQUIRE(b.has_value());
    BOOST_TEST(!a->conn); // the right to open one
    BOOST_TEST(s.pools["a"].open == 2u);
    BOOST_TEST(!grant("a").has_value());
    BOOST_TEST(s.total_open == 2u);
    BOOST_TEST(s.peak_open == 2u);
}

BOOST_FIXTURE_TEST_CASE(reuses_the_most_recently_used_idle_connection, pool_fixture) {
    make_idle("a", 1);
    make_idle("a", 2);
    auto g = grant("a");
    BOOST_TEST_REQUIRE(g.has_value());
    BOOST_TEST_REQUIRE(g->conn != nullptr);
    BOOST_TEST(g->conn->id == 2);
    BOOST_TEST(s.total_open == 2u); // reuse opens nothing
    BOOST_TEST(closed.empty());
}

BOOST_FIXTURE_TEST_CASE(a_connection_closed_while_idle_is_dropped_and_uncounted, pool_fixture) {
    make_idle("a", 1);
    make_idle("a", 2, false);
    auto g = grant("a");
    BOOST_TEST_REQUIRE(g.has_value());
    BOOST_TEST_REQUIRE(g->conn != nullptr);
    BOOST_TEST(g->conn->id == 1);
    BOOST_TEST_REQUIRE(closed.size() == 1u);
    BOOST_TEST(closed[0]->id == 2);
    BOOST_TEST(s.pools["a"].open == 1u);
    BOOST_TEST(s.total_open == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_fresh_request_takes_an_idle_connections_place, pool_fixture) {
    make_idle("a", 1);
    auto g = grant("a", true);
    BOOST_TEST_REQUIRE(g.has_value());
    BOOST_TEST(!g->conn);
    BOOST_TEST_REQUIRE(closed.size() == 1u);
    BOOST_TEST(s.total_open == 1u); // the place passes from the closed one to the new one
}

BOOST_FIXTURE_TEST_CASE(full_overall_takes_another_origins_oldest_idle_connection, pool_fixture) {
    make_idle("a", 1);
    make_idle("a", 2);
    make_idle("b", 3);
    BOOST_TEST(s.total_open == 3u);
    auto g = grant("c");
    BOOST_TEST_REQUIRE(g.has_value());
    BOOST_TEST(!g->conn);
    BOOST_TEST_REQUIRE(closed.size() == 1u);
    BOOST_TEST(closed[0]->id == 1); // the oldest idle one of the first origin with one
    BOOST_TEST(s.pools["a"].open == 1u);
    BOOST_TEST(s.pools["c"].open == 1u);
    BOOST_TEST(s.total_open == 3u);
}

BOOST_FIXTURE_TEST_CASE(busy_origins_do_not_churn_each_others_connections, pool_fixture) {
    bounds = {3, 3}; // only the overall bound binds
    make_idle("a", 1);
    auto in_use = grant("b");
    BOOST_TEST_REQUIRE(in_use.has_value());
    make_idle("b", 2);
    BOOST_TEST(s.total_open == 3u);
    waiting.insert("a");
    // b has one open and a has requests waiting: b must wait rather than close a's.
    auto g = grant("b");
    BOOST_TEST_REQUIRE(g.has_value());
    BOOST_TEST(g->conn->id == 2); // its own idle one first
    BOOST_TEST(!grant("b").has_value());
    BOOST_TEST(closed.empty());
    // An origin with nothing open may always take one, so none starves.
    auto c = grant("c");
    BOOST_TEST_REQUIRE(c.has_value());
    BOOST_TEST(closed.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(eviction_and_returns_keep_the_counts, pool_fixture) {
    make_idle("a", 1);
    make_idle("b", 2);
    detail::evict_idle(
        s, [](const fake_connection& c) { return c.id == 1; }, closed);
    BOOST_TEST(closed.size() == 1u);
    BOOST_TEST(s.pools["a"].open == 0u);
    BOOST_TEST(s.total_open == 1u);
    auto g = grant("b");
    BOOST_TEST_REQUIRE(g->conn != nullptr);
    detail::give_back_connection(s, "b", std::move(g->conn), false, closed);
    BOOST_TEST(s.total_open == 0u);
    auto slot = grant("a");
    BOOST_TEST_REQUIRE(slot.has_value());
    detail::release_slot(s, "a");
    BOOST_TEST(s.total_open == 0u);
    BOOST_TEST(s.peak_open == 2u);
}
