// Seeded, reproducible fault injection. Each rule draws from its own generator, seeded from the
// simulator's seed and the rule's position, once per matching request: the n-th request a rule
// matches gets the same verdict in every run with the same seed, whatever other routes do.
#pragma once

#include <ascpp/sim/simulator.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::sim {

// What the faults decided for one request.
struct fault_plan {
    std::chrono::milliseconds latency{0};
    // The first terminal fault hit, if any: http_error, drop_connection or stall.
    std::optional<fault_kind> terminal;
    unsigned status = 0;                // http_error
    std::chrono::milliseconds stall{0}; // stall
    bool expire_upload_url = false;
    // Kinds applied, for statistics.
    std::vector<fault_kind> applied;
};

// What the faults decided for one webhook delivery (rules whose route is "webhook").
struct delivery_plan {
    std::chrono::milliseconds latency{0};
    bool drop = false;
    bool duplicate = false;
    bool reorder = false;
    std::chrono::milliseconds hold{0}; // reorder: the longest it waits for a later delivery
    bool forged = false;
    std::vector<fault_kind> applied;
};

inline constexpr std::string_view webhook_route = "webhook";

const char* fault_kind_name(fault_kind k);
bool is_delivery_fault(fault_kind k);
std::optional<fault_kind> parse_fault_kind(std::string_view name);

class fault_injector {
public:
    explicit fault_injector(std::uint64_t seed) : seed_(seed) {}

    void set(std::vector<fault_rule> rules, std::uint64_t seed);
    void clear();
    std::vector<fault_rule> rules() const;
    std::uint64_t seed() const;

    // Every rule but fail_processing, for a request to `route` (an operationId, or
    // "upload_part").
    fault_plan plan(std::string_view route);
    // The rules of route "webhook", drawn once per delivery (one event to one webhook).
    delivery_plan plan_delivery();
    // The fail_processing rules, drawn once per accepted commit of a file named `file_name`.
    bool fail_processing(std::string_view file_name);

private:
    struct active_rule {
        fault_rule rule;
        std::mt19937_64 rng;
        std::uint64_t hits = 0;
    };
    static bool draw(active_rule& r);
    mutable std::mutex mutex_;
    std::uint64_t seed_;
    std::vector<active_rule> rules_;
};

} // namespace ascpp::sim
