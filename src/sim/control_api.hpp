// The simulator's own control API under /sim/ on the API origin (never on Apple's paths):
// statistics, reset and seeding, keys, faults, and the review actions that move external beta
// and App Store releases, which Apple's public API cannot drive.
#pragma once

#include "api_routes.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::sim {

bool is_control_target(std::string_view target);
response_type handle_control_request(service& svc, const request_type& req);

// Shared with the in-process API (simulator.cpp).
void reset_service(service& svc, const std::vector<std::string>& app_ids);
// Runs a review action and schedules the end of PROCESSING_FOR_* states. Returns the release's
// new state. Throws std::invalid_argument or std::logic_error as store::release_action does.
std::string run_release_action(service& svc, const std::string& version_id, release_channel channel,
                               const std::string& action);
boost::json::object stats_json(const simulator_stats& s);
boost::json::object fault_rule_json(const fault_rule& r);
// Throws std::invalid_argument naming the bad member.
fault_rule fault_rule_from_json(const boost::json::object& o);

} // namespace ascpp::sim
