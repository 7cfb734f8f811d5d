// What the simulator's tests share: a simulator started in-process with small parts and short
// delays, a registered API key, signed tokens, and API calls whose every JSON body is checked
// against the spec by the independent validator (python3-jsonschema).
#pragma once

#include "https_client.hpp"

#include <ascpp/auth/private_key.hpp>
#include <ascpp/sim/simulator.hpp>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace ascpp::test {

namespace json = boost::json;
using verb = boost::beast::http::verb;

// Small parts and short delays, so tests run quickly; nothing else differs from the defaults.
sim::simulator_options test_options();

// The schema of the spec a response to `method path` with `status` must satisfy (empty when the
// body is not JSON:API, e.g. 406 text).
std::string response_schema(verb method, std::string_view path, unsigned status);

// Checks a response body against its schema (strict for success bodies: no undeclared members).
// Reports a Boost.Test failure with the problems. Counts the bodies checked.
void check_against_spec(verb method, std::string_view path, const http_result& r);
std::uint64_t bodies_checked();

std::string md5_hex(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);
// Deterministic bytes for uploads.
std::string make_bytes(std::size_t n, std::uint32_t seed = 7);

struct sim_env {
    explicit sim_env(sim::simulator_options options = test_options());

    sim::simulator sim;
    sim::api_credentials key;
    auth::private_key private_key;
    https_client client;

    // A fresh token for `key` (iat 60 s back, 20 minutes lifetime).
    std::string token() const;
    std::string bearer() const { return "Bearer " + token(); }

    // An API call with a valid token; the body (if any) is sent as application/json. The response
    // body is checked against the spec.
    http_result api(verb method, std::string path_and_query,
                    std::optional<json::value> body = std::nullopt,
                    std::vector<std::pair<std::string, std::string>> extra_headers = {});
    // The same with exactly the headers given (no token added).
    http_result api_raw(verb method, std::string path_and_query, std::string body,
                        std::vector<std::pair<std::string, std::string>> headers);
    // A control API call (/sim/...).
    http_result control(verb method, std::string path, std::optional<json::value> body = {});

    // Creates a pack, a version and returns their ids (asserting 201s).
    std::string create_pack(const std::string& identifier, const std::string& app_id = "");
    std::string create_version(const std::string& pack_id);
    // Reserves an upload file; returns its document's data object.
    json::object reserve(const std::string& version_id, const std::string& file_name,
                         std::uint64_t size, const std::string& type = "ASSET");
    // PUTs every part of `bytes` as the reservation lists them; returns the results in order.
    std::vector<http_result> upload_parts(const json::object& file, const std::string& bytes,
                                          bool concurrently = false);
    http_result commit(const std::string& file_id, std::optional<json::value> checksums = {});

    // Polls GET `path` until `accessor(data)` returns one of `wanted` (bounded in count and
    // time); returns the last value seen.
    std::string wait_for(const std::string& path,
                         const std::function<std::string(const json::object&)>& accessor,
                         std::initializer_list<std::string_view> wanted);
};

} // namespace ascpp::test
