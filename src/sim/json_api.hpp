// JSON:API for the simulator: the query parameters each operation accepts (validated against
// the spec's names and enums), opaque paging cursors, and rendering of resources with sparse
// fieldsets, `included`, links and ErrorResponse documents.
#pragma once

#include "api_error.hpp"
#include "store.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/url/url_view.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ascpp::sim {

struct query_options {
    // filter[x] by x, values split on commas.
    std::map<std::string, std::vector<std::string>, std::less<>> filters;
    std::vector<std::string> sort;
    // fields[type] by type.
    std::map<std::string, std::set<std::string, std::less<>>, std::less<>> fields;
    std::set<std::string, std::less<>> include;
    std::uint32_t limit = 0;
    std::uint64_t offset = 0; // from the cursor
    // Every parameter as received, in order, for links.self / first / next.
    std::vector<std::pair<std::string, std::string>> params;

    bool wants(std::string_view type, std::string_view name) const {
        auto it = fields.find(type);
        return it == fields.end() || it->second.count(name) != 0;
    }
    bool includes(std::string_view name) const { return include.count(name) != 0; }
    const std::vector<std::string>* filter(std::string_view name) const {
        auto it = filters.find(name);
        return it == filters.end() ? nullptr : &it->second;
    }
};

// Validates the query of a request to `operation_id` (a spec operationId): unknown parameters
// are 400 PARAMETER_ERROR.ILLEGAL, bad values 400 PARAMETER_ERROR.INVALID, both naming the
// parameter in source.parameter.
query_options parse_query(boost::urls::url_view target, std::string_view operation_id,
                          std::uint32_t default_limit, std::uint64_t cursor_key);

std::string encode_cursor(std::uint64_t offset, std::uint64_t cursor_key);

boost::json::object error_document(const api_error& e, const std::string& request_id);

// Renders resources of one request; collects `included` without duplicates.
class renderer {
public:
    renderer(store& s, const query_options& q, std::string api_base, std::string upload_base)
        : store_(s), q_(q), api_(std::move(api_base)), upload_(std::move(upload_base)) {}

    boost::json::object app(const app_record& a);
    boost::json::object asset(const background_asset_record& a);
    boost::json::object version(const version_record& v);
    boost::json::object upload_file(const upload_file_record& f);
    boost::json::object release(const release_record& r);

    // Adds the resources the request's `include` asks for, related to a primary resource.
    void include_for(const background_asset_record& a);
    void include_for(const version_record& v);
    void include_for(const release_record& r);

    // Leave out the checksums committed with upload files
    // (simulator_options::return_source_file_checksums false).
    void hide_checksums() { hide_checksums_ = true; }

    bool has_included() const { return !included_.empty(); }
    boost::json::array take_included() { return std::move(included_); }

    // links.self for a single resource document.
    boost::json::object document_links(std::string_view path) const;
    // links {self, first, next?} and meta.paging {total, limit} of a page, added to `doc`.
    void add_paging(boost::json::object& doc, std::string_view path, std::size_t total,
                    std::uint64_t cursor_key) const;

private:
    void add_included(boost::json::object resource);
    std::string url(std::string_view path) const { return api_ + std::string(path); }

    store& store_;
    const query_options& q_;
    std::string api_;
    std::string upload_;
    boost::json::array included_;
    std::set<std::pair<std::string, std::string>> included_keys_;
    bool hide_checksums_ = false;
};

} // namespace ascpp::sim
