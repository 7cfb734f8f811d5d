#include "control_api.hpp"

#include "json_api.hpp"
#include "webhooks.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

namespace ascpp::sim {

namespace json = boost::json;

namespace {

response_type json_response(unsigned status, const json::value& body, const request_type& req) {
    response_type res{static_cast<http::status>(status), req.version()};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = json::serialize(body);
    res.prepare_payload();
    return res;
}

api_error bad_request(std::string detail) {
    return api_error(400, "PARAMETER_ERROR.INVALID", "The control request is not valid",
                     std::move(detail));
}

json::object body_object(const request_type& req) {
    if (req.body().empty())
        return {};
    boost::system::error_code ec;
    auto v = json::parse(req.body(), ec);
    if (ec || !v.is_object())
        throw bad_request("the body must be a JSON object");
    return std::move(v.get_object());
}

std::string string_member(const json::object& o, std::string_view name, bool required = true) {
    auto* v = o.if_contains(name);
    if (!v || v->is_null()) {
        if (required)
            throw bad_request("'" + std::string(name) + "' is required");
        return {};
    }
    if (!v->is_string())
        throw bad_request("'" + std::string(name) + "' must be a string");
    return std::string(v->get_string());
}

std::vector<std::string> app_list(const json::value& v) {
    if (!v.is_array())
        throw bad_request("'apps' must be an array of app ids");
    std::vector<std::string> out;
    for (auto& a : v.get_array()) {
        if (!a.is_string() || a.get_string().empty())
            throw bad_request("'apps' must be an array of non-empty strings");
        out.emplace_back(a.get_string());
    }
    return out;
}

// A non-negative number member, when present.
std::optional<double> number_member(const json::object& o, std::string_view name) {
    auto* v = o.if_contains(name);
    if (!v || v->is_null())
        return std::nullopt;
    if (!v->is_number())
        throw bad_request("'" + std::string(name) + "' must be a number");
    double d = v->to_number<double>();
    if (!(d >= 0) || d > 1e12)
        throw bad_request("'" + std::string(name) + "' must be from 0 to 1e12");
    return d;
}

// Under svc.mutex.
json::object timing_json(const service& svc) {
    return {{"uploadProcessingDelayMs", svc.options.upload_processing_delay.count()},
            {"versionProcessingDelayMs", svc.options.version_processing_delay.count()},
            {"versionProcessingPerMiBMs", svc.options.version_processing_per_mib.count()},
            {"versionProcessingSpread", svc.options.version_processing_spread},
            {"rateLimit", svc.limiter.limit()},
            {"rateLimitWindowMs", svc.limiter.window().count()}};
}

// PUT /sim/timing: every member optional; checked before any is applied.
json::object set_timing(service& svc, const json::object& body) {
    for (auto& [k, v] : body)
        if (k != "uploadProcessingDelayMs" && k != "versionProcessingDelayMs" &&
            k != "versionProcessingPerMiBMs" && k != "versionProcessingSpread" &&
            k != "rateLimit" && k != "rateLimitWindowMs")
            throw bad_request("unknown member '" + std::string(k) + "'");
    auto ms = [](double d) { return std::chrono::milliseconds(static_cast<std::int64_t>(d)); };
    auto upload = number_member(body, "uploadProcessingDelayMs");
    auto version = number_member(body, "versionProcessingDelayMs");
    auto per_mib = number_member(body, "versionProcessingPerMiBMs");
    auto spread = number_member(body, "versionProcessingSpread");
    auto limit = number_member(body, "rateLimit");
    auto window = number_member(body, "rateLimitWindowMs");
    if (spread && *spread > 5)
        throw bad_request("'versionProcessingSpread' must be from 0 to 5");
    if (limit && (*limit < 1 || *limit > 4e9))
        throw bad_request("'rateLimit' must be from 1 to 4e9");
    if (window && *window < 1)
        throw bad_request("'rateLimitWindowMs' must be at least 1");
    std::lock_guard lock(svc.mutex);
    if (upload)
        svc.options.upload_processing_delay = ms(*upload);
    if (version)
        svc.options.version_processing_delay = ms(*version);
    if (per_mib)
        svc.options.version_processing_per_mib = ms(*per_mib);
    if (spread)
        svc.options.version_processing_spread = *spread;
    if (limit || window)
        svc.limiter.set(limit ? static_cast<std::uint32_t>(*limit) : svc.limiter.limit(),
                        window ? ms(*window) : svc.limiter.window());
    return timing_json(svc);
}

json::object faults_json(service& svc) {
    json::array rules;
    for (auto& r : svc.faults.rules())
        rules.push_back(fault_rule_json(r));
    return {{"seed", svc.faults.seed()}, {"rules", std::move(rules)}};
}

json::object index_json() {
    return {
        {"endpoints", json::array{"GET /sim/stats", "POST /sim/stats/reset",
                                  "POST /sim/reset {apps?: [id]}", "POST /sim/apps {id}",
                                  "GET /sim/faults", "PUT /sim/faults {seed?, rules: [rule]}",
                                  "DELETE /sim/faults", "POST /sim/processing {paused}",
                                  "GET, PUT /sim/timing {uploadProcessingDelayMs?, "
                                  "versionProcessingDelayMs?, versionProcessingPerMiBMs?, "
                                  "versionProcessingSpread?, rateLimit?, rateLimitWindowMs?}",
                                  "POST /sim/keys {individual?} | {keyId, issuerId?, publicKey}",
                                  "DELETE /sim/keys/{keyId}",
                                  "POST /sim/webhooks {url, secret, eventTypes?, enabled?}",
                                  "GET /sim/webhooks", "DELETE /sim/webhooks/{id}",
                                  "POST /sim/releases {version, channel: externalBeta|appStore, "
                                  "action}"}}};
}

response_type route_control(service& svc, const request_type& req,
                            const std::vector<std::string>& seg) {
    auto method = req.method();
    auto n = seg.size();
    if (n == 1 && method == http::verb::get)
        return json_response(200, index_json(), req);
    const std::string& what = n >= 2 ? seg[1] : std::string();
    if (what == "stats" && n == 2 && method == http::verb::get)
        return json_response(200, stats_json(svc.stats.snapshot()), req);
    if (what == "stats" && n == 3 && seg[2] == "reset" && method == http::verb::post) {
        svc.stats.reset();
        return json_response(200, stats_json(svc.stats.snapshot()), req);
    }
    if (what == "reset" && n == 2 && method == http::verb::post) {
        auto body = body_object(req);
        auto apps = svc.options.app_ids;
        if (auto* a = body.if_contains("apps"))
            apps = app_list(*a);
        reset_service(svc, apps);
        return json_response(200, json::object{{"apps", json::value_from(apps)}}, req);
    }
    if (what == "apps" && n == 2 && method == http::verb::post) {
        auto body = body_object(req);
        auto id = string_member(body, "id");
        if (id.empty())
            throw bad_request("'id' must not be empty");
        {
            std::lock_guard lock(svc.mutex);
            svc.db.add_app(id);
        }
        return json_response(201, json::object{{"id", id}}, req);
    }
    if (what == "webhooks" && n == 2 && method == http::verb::post) {
        auto body = body_object(req);
        webhook_config c;
        c.url = string_member(body, "url");
        c.secret = string_member(body, "secret");
        if (auto* t = body.if_contains("eventTypes"))
            c.event_types = app_list(*t);
        if (auto* e = body.if_contains("enabled")) {
            if (!e->is_bool())
                throw bad_request("'enabled' must be a boolean");
            c.enabled = e->get_bool();
        }
        try {
            auto id = svc.webhooks->add(c);
            return json_response(201, json::object{{"id", id}}, req);
        } catch (const std::invalid_argument& e) {
            throw bad_request(e.what());
        }
    }
    if (what == "webhooks" && n == 2 && method == http::verb::get) {
        json::array list;
        for (auto& [id, c] : svc.webhooks->list())
            list.push_back(json::object{{"id", id},
                                        {"url", c.url},
                                        {"eventTypes", json::value_from(c.event_types)},
                                        {"enabled", c.enabled}});
        return json_response(200, json::object{{"webhooks", std::move(list)}}, req);
    }
    if (what == "webhooks" && n == 3 && method == http::verb::delete_) {
        svc.webhooks->remove(seg[2]);
        return json_response(200, json::object{{"id", seg[2]}}, req);
    }
    if (what == "processing" && n == 2 && method == http::verb::post) {
        auto body = body_object(req);
        auto* p = body.if_contains("paused");
        if (!p || !p->is_bool())
            throw bad_request("'paused' (a boolean) is required");
        svc.set_paused(p->get_bool());
        return json_response(200, json::object{{"paused", p->get_bool()}}, req);
    }
    if (what == "timing" && n == 2 && method == http::verb::get) {
        std::lock_guard lock(svc.mutex);
        return json_response(200, timing_json(svc), req);
    }
    if (what == "timing" && n == 2 && method == http::verb::put)
        return json_response(200, set_timing(svc, body_object(req)), req);
    if (what == "faults" && n == 2) {
        if (method == http::verb::get)
            return json_response(200, faults_json(svc), req);
        if (method == http::verb::delete_) {
            svc.faults.clear();
            return json_response(200, faults_json(svc), req);
        }
        if (method == http::verb::put) {
            auto body = body_object(req);
            std::uint64_t seed = svc.faults.seed();
            if (auto* s = body.if_contains("seed")) {
                if (s->is_uint64())
                    seed = s->get_uint64();
                else if (s->is_int64() && s->get_int64() >= 0)
                    seed = static_cast<std::uint64_t>(s->get_int64());
                else
                    throw bad_request("'seed' must be a non-negative integer");
            }
            std::vector<fault_rule> rules;
            auto* rs = body.if_contains("rules");
            if (!rs || !rs->is_array())
                throw bad_request("'rules' must be an array");
            for (auto& r : rs->get_array()) {
                if (!r.is_object())
                    throw bad_request("each rule must be an object");
                try {
                    rules.push_back(fault_rule_from_json(r.get_object()));
                } catch (const std::invalid_argument& e) {
                    throw bad_request(e.what());
                }
            }
            svc.faults.set(std::move(rules), seed);
            return json_response(200, faults_json(svc), req);
        }
    }
    if (what == "keys" && n == 2 && method == http::verb::post) {
        auto body = body_object(req);
        if (body.contains("publicKey")) {
            auto key_id = string_member(body, "keyId");
            auto issuer = string_member(body, "issuerId", false);
            try {
                svc.keys.add_key(key_id, issuer, string_member(body, "publicKey"));
            } catch (const std::invalid_argument& e) {
                throw bad_request(e.what());
            }
            return json_response(201,
                                 json::object{{"keyId", key_id},
                                              {"issuerId", issuer},
                                              {"individual", issuer.empty()}},
                                 req);
        }
        bool individual = false;
        if (auto* i = body.if_contains("individual")) {
            if (!i->is_bool())
                throw bad_request("'individual' must be a boolean");
            individual = i->get_bool();
        }
        auto c = svc.keys.create_key(individual);
        // The private key goes back to the local caller that asked for it, nowhere else.
        return json_response(201,
                             json::object{{"keyId", c.key_id},
                                          {"issuerId", c.issuer_id},
                                          {"individual", c.individual},
                                          {"privateKey", c.private_key_pem}},
                             req);
    }
    if (what == "keys" && n == 3 && method == http::verb::delete_) {
        svc.keys.revoke(seg[2]);
        return json_response(200, json::object{{"keyId", seg[2]}, {"revoked", true}}, req);
    }
    if (what == "releases" && n == 2 && method == http::verb::post) {
        auto body = body_object(req);
        auto version = string_member(body, "version");
        auto channel_name = string_member(body, "channel");
        auto action = string_member(body, "action");
        release_channel channel;
        if (channel_name == "externalBeta")
            channel = release_channel::external_beta;
        else if (channel_name == "appStore")
            channel = release_channel::app_store;
        else
            throw bad_request("'channel' must be externalBeta or appStore");
        try {
            auto state = run_release_action(svc, version, channel, action);
            std::string id;
            {
                std::lock_guard lock(svc.mutex);
                if (auto* v = svc.db.find_version(version))
                    id = channel == release_channel::external_beta ? v->external_release_id
                                                                   : v->app_store_release_id;
            }
            return json_response(
                200, json::object{{"type", release_type(channel)}, {"id", id}, {"state", state}},
                req);
        } catch (const std::logic_error& e) {
            // std::invalid_argument derives from logic_error: tell them apart.
            if (dynamic_cast<const std::invalid_argument*>(&e)) {
                bool unknown_version = false;
                {
                    std::lock_guard lock(svc.mutex);
                    unknown_version = svc.db.find_version(version) == nullptr;
                }
                if (unknown_version)
                    throw api_error(404, "NOT_FOUND", "The specified resource does not exist",
                                    e.what());
                throw bad_request(e.what());
            }
            throw api_error(409, "ENTITY_ERROR.STATE_ERROR",
                            "The release is not in a state that allows this action", e.what());
        }
    }
    throw api_error(404, "PATH_ERROR", "The URL path is not valid",
                    "Unknown control endpoint; GET /sim lists them");
}

} // namespace

bool is_control_target(std::string_view target) {
    return target == "/sim" || target.starts_with("/sim/") || target.starts_with("/sim?");
}

response_type handle_control_request(service& svc, const request_type& req) {
    svc.stats.request("sim");
    try {
        std::string target = normalize_target(req.target());
        auto u = boost::urls::parse_origin_form(target);
        if (!u)
            throw bad_request("the request target could not be parsed");
        std::vector<std::string> seg;
        for (auto s : u->segments())
            if (!s.empty())
                seg.push_back(s);
        return route_control(svc, req, seg);
    } catch (const api_error& e) {
        return error_response(e, req.version(), req.keep_alive());
    } catch (const std::exception& e) {
        return error_response(
            api_error(500, "UNEXPECTED_ERROR", "An unexpected error occurred.", e.what()),
            req.version(), req.keep_alive());
    }
}

void reset_service(service& svc, const std::vector<std::string>& app_ids) {
    {
        std::lock_guard lock(svc.mutex);
        svc.db.clear(svc.options.seed);
        for (auto& id : app_ids)
            svc.db.add_app(id);
    }
    svc.faults.set(svc.faults.rules(), svc.faults.seed());
    svc.limiter.clear();
    svc.stats.reset();
}

std::string run_release_action(service& svc, const std::string& version_id, release_channel channel,
                               const std::string& action) {
    follow_up next;
    std::string state;
    {
        std::lock_guard lock(svc.mutex);
        next = svc.db.release_action(version_id, channel, action);
        auto* v = svc.db.find_version(version_id);
        const std::string& rid = channel == release_channel::external_beta
                                     ? v->external_release_id
                                     : v->app_store_release_id;
        state = svc.db.find_release(rid)->state;
    }
    for (auto& rid : next.release_processing)
        svc.schedule(svc.options.release_processing_delay, [&svc, rid] {
            std::lock_guard lock(svc.mutex);
            svc.db.finish_release_processing(rid);
        });
    return state;
}

json::object stats_json(const simulator_stats& s) {
    json::object requests, responses, faults;
    for (auto& [k, v] : s.requests)
        requests[k] = v;
    for (auto& [k, v] : s.responses)
        responses[std::to_string(k)] = v;
    for (auto& [k, v] : s.faults)
        faults[k] = v;
    return {{"requests", std::move(requests)},
            {"responses", std::move(responses)},
            {"uploadBytesReceived", s.upload_bytes_received},
            {"partsReceived", s.parts_received},
            {"partsDigested", s.parts_digested},
            {"uploadAuthorizationHeaders", s.upload_authorization_headers},
            {"peakConcurrentPartUploads", s.peak_concurrent_part_uploads},
            {"checksums", json::object{{"matched", s.checksums_matched},
                                       {"mismatched", s.checksums_mismatched},
                                       {"absent", s.checksums_absent}}},
            {"faults", std::move(faults)},
            {"unauthorized", s.unauthorized},
            {"rateLimited", s.rate_limited},
            {"webhooks", json::object{{"deliveries", s.webhook_deliveries},
                                      {"posts", s.webhook_posts},
                                      {"acknowledged", s.webhook_acknowledged},
                                      {"failedPosts", s.webhook_failed_posts},
                                      {"abandoned", s.webhook_abandoned}}}};
}

json::object fault_rule_json(const fault_rule& r) {
    json::object o{{"route", r.route},
                   {"kind", fault_kind_name(r.kind)},
                   {"rate", r.rate},
                   {"status", r.status},
                   {"delayMs", r.delay.count()}};
    if (r.max_hits)
        o["maxHits"] = *r.max_hits;
    if (!r.file_name.empty())
        o["fileName"] = r.file_name;
    return o;
}

fault_rule fault_rule_from_json(const json::object& o) {
    fault_rule r;
    for (auto& kv : o) {
        auto k = kv.key();
        auto& v = kv.value();
        if (k == "route") {
            if (!v.is_string() || v.get_string().empty())
                throw std::invalid_argument("'route' must be an operationId, upload_part or *");
            r.route = v.get_string();
        } else if (k == "kind") {
            auto kind = v.is_string() ? parse_fault_kind(v.get_string()) : std::nullopt;
            if (!kind)
                throw std::invalid_argument(
                    "'kind' must be one of http_error, latency, drop_connection, stall, "
                    "expire_upload_url, fail_processing, drop_delivery, duplicate_delivery, "
                    "reorder_delivery, bad_signature");
            r.kind = *kind;
        } else if (k == "rate") {
            if (!v.is_number())
                throw std::invalid_argument("'rate' must be a number from 0 to 1");
            r.rate = v.to_number<double>();
            if (!(r.rate >= 0 && r.rate <= 1))
                throw std::invalid_argument("'rate' must be a number from 0 to 1");
        } else if (k == "status") {
            if (!v.is_number())
                throw std::invalid_argument("'status' must be 500, 503 or 429");
            r.status = v.to_number<unsigned>();
            if (r.status != 500 && r.status != 503 && r.status != 429)
                throw std::invalid_argument("'status' must be 500, 503 or 429");
        } else if (k == "delayMs") {
            if (!v.is_number() || v.to_number<double>() < 0)
                throw std::invalid_argument("'delayMs' must be a non-negative number");
            r.delay = std::chrono::milliseconds(v.to_number<std::int64_t>());
        } else if (k == "maxHits") {
            if (!v.is_number() || v.to_number<double>() < 0)
                throw std::invalid_argument("'maxHits' must be a non-negative integer");
            r.max_hits = v.to_number<std::uint64_t>();
        } else if (k == "fileName") {
            if (!v.is_string())
                throw std::invalid_argument("'fileName' must be a string");
            r.file_name = v.get_string();
        } else {
            throw std::invalid_argument("unknown fault rule member '" + std::string(k) + "'");
        }
    }
    return r;
}

} // namespace ascpp::sim
