#include "fault_injector.hpp"

#include "encoding.hpp"

namespace ascpp::sim {

const char* fault_kind_name(fault_kind k) {
    switch (k) {
    case fault_kind::http_error:
        return "http_error";
    case fault_kind::latency:
        return "latency";
    case fault_kind::drop_connection:
        return "drop_connection";
    case fault_kind::stall:
        return "stall";
    case fault_kind::expire_upload_url:
        return "expire_upload_url";
    case fault_kind::fail_processing:
        return "fail_processing";
    case fault_kind::drop_delivery:
        return "drop_delivery";
    case fault_kind::duplicate_delivery:
        return "duplicate_delivery";
    case fault_kind::reorder_delivery:
        return "reorder_delivery";
    case fault_kind::bad_signature:
        return "bad_signature";
    }
    return "unknown";
}

std::optional<fault_kind> parse_fault_kind(std::string_view name) {
    for (auto k : {fault_kind::http_error, fault_kind::latency, fault_kind::drop_connection,
                   fault_kind::stall, fault_kind::expire_upload_url, fault_kind::fail_processing,
                   fault_kind::drop_delivery, fault_kind::duplicate_delivery,
                   fault_kind::reorder_delivery, fault_kind::bad_signature})
        if (name == fault_kind_name(k))
            return k;
    return std::nullopt;
}

void fault_injector::set(std::vector<fault_rule> rules, std::uint64_t seed) {
    std::lock_guard lock(mutex_);
    seed_ = seed;
    rules_.clear();
    for (std::size_t i = 0; i < rules.size(); ++i)
        rules_.push_back({std::move(rules[i]), std::mt19937_64(mix_seed(seed, 1000 + i)), 0});
}

void fault_injector::clear() {
    std::lock_guard lock(mutex_);
    rules_.clear();
}

std::vector<fault_rule> fault_injector::rules() const {
    std::lock_guard lock(mutex_);
    std::vector<fault_rule> out;
    for (auto& r : rules_)
        out.push_back(r.rule);
    return out;
}

std::uint64_t fault_injector::seed() const {
    std::lock_guard lock(mutex_);
    return seed_;
}

bool fault_injector::draw(active_rule& r) {
    // Draw for every matching request, hit or not, so the stream position depends only on how
    // many requests this rule has seen.
    double x = static_cast<double>(r.rng() >> 11) * 0x1.0p-53;
    if (x >= r.rule.rate)
        return false;
    return !r.rule.max_hits || r.hits < *r.rule.max_hits;
}

bool fault_injector::fail_processing(std::string_view file_name) {
    std::lock_guard lock(mutex_);
    bool hit = false;
    for (auto& r : rules_) {
        const auto& rule = r.rule;
        if (rule.kind != fault_kind::fail_processing)
            continue;
        if (rule.route != "*" && rule.route != "backgroundAssetUploadFiles_updateInstance")
            continue;
        if (!rule.file_name.empty() && rule.file_name != file_name)
            continue;
        if (draw(r) && !hit) {
            ++r.hits;
            hit = true;
        }
    }
    return hit;
}

delivery_plan fault_injector::plan_delivery() {
    delivery_plan out;
    std::lock_guard lock(mutex_);
    for (auto& r : rules_) {
        const auto& rule = r.rule;
        if (rule.route != webhook_route || !draw(r))
            continue;
        bool applied = true;
        switch (rule.kind) {
        case fault_kind::latency:
            out.latency += rule.delay;
            break;
        case fault_kind::drop_delivery:
            out.drop = true;
            break;
        case fault_kind::duplicate_delivery:
            out.duplicate = true;
            break;
        case fault_kind::reorder_delivery:
            out.reorder = true;
            out.hold = rule.delay;
            break;
        case fault_kind::bad_signature:
            out.forged = true;
            break;
        default:
            applied = false;
            break;
        }
        if (applied) {
            ++r.hits;
            out.applied.push_back(rule.kind);
        }
    }
    return out;
}

fault_plan fault_injector::plan(std::string_view route) {
    fault_plan out;
    std::lock_guard lock(mutex_);
    for (auto& r : rules_) {
        const auto& rule = r.rule;
        if (rule.kind == fault_kind::fail_processing || is_delivery_fault(rule.kind) ||
            rule.route == webhook_route)
            continue;
        if (rule.kind == fault_kind::expire_upload_url &&
            route != "backgroundAssetUploadFiles_createInstance")
            continue;
        bool route_matches = rule.route == route || (rule.route == "*" && route != "upload_part");
        if (!route_matches || !draw(r))
            continue;
        bool applied = true;
        switch (rule.kind) {
        case fault_kind::latency:
            out.latency += rule.delay;
            break;
        case fault_kind::http_error:
        case fault_kind::drop_connection:
        case fault_kind::stall:
            if (out.terminal) {
                applied = false;
                break;
            }
            out.terminal = rule.kind;
            out.status = rule.status;
            out.stall = rule.delay;
            break;
        case fault_kind::expire_upload_url:
            out.expire_upload_url = true;
            break;
        default:
            applied = false;
            break;
        }
        if (applied) {
            ++r.hits;
            out.applied.push_back(rule.kind);
        }
    }
    return out;
}

bool is_delivery_fault(fault_kind k) {
    return k == fault_kind::drop_delivery || k == fault_kind::duplicate_delivery ||
           k == fault_kind::reorder_delivery || k == fault_kind::bad_signature;
}

} // namespace ascpp::sim
