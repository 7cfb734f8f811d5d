// Response documents: a single resource (`document<T>`) or one page of a list (`page<T>`), with
// the `included` resources resolvable from the primary data's relationships.
#pragma once

#include <ascpp/api/app.hpp>
#include <ascpp/api/background_asset.hpp>
#include <ascpp/api/background_asset_upload_file.hpp>
#include <ascpp/api/background_asset_version.hpp>
#include <ascpp/api/error.hpp>
#include <ascpp/api/json_api.hpp>
#include <ascpp/api/release.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ascpp::api {

// One member of `included`. A resource of a type this client does not know stays raw JSON.
using included_resource =
    std::variant<app, background_asset, background_asset_version, background_asset_upload_file,
                 internal_beta_release, external_beta_release, app_store_release,
                 boost::json::object>;

// The `included` array, with lookups that follow a relationship to its included resource.
struct included_resources {
    std::vector<included_resource> items;

    bool empty() const noexcept { return items.empty(); }
    std::size_t size() const noexcept { return items.size(); }

    // The included resource of type T with this id, or nullptr.
    template <class T>
    const T* find(std::string_view id) const {
        for (const auto& item : items)
            if (const T* r = std::get_if<T>(&item); r && r->id == id)
                return r;
        return nullptr;
    }
    // The included resource a to-one relationship points at, or nullptr when the relationship,
    // its data or the included resource is absent (or of another type than T).
    template <class T>
    const T* find(const std::optional<to_one_relationship>& rel) const {
        if (!rel || !rel->data || rel->data->type != T::resource_type)
            return nullptr;
        return find<T>(rel->data->id);
    }
    // Every included resource a to-many relationship lists (those not included are skipped).
    template <class T>
    std::vector<const T*> find_all(const std::optional<to_many_relationship>& rel) const {
        std::vector<const T*> out;
        if (rel && rel->data)
            for (const auto& ref : *rel->data)
                if (ref.type == T::resource_type)
                    if (const T* r = find<T>(ref.id))
                        out.push_back(r);
        return out;
    }
    // Every included resource of type T, in document order.
    template <class T>
    std::vector<const T*> all() const {
        std::vector<const T*> out;
        for (const auto& item : items)
            if (const T* r = std::get_if<T>(&item))
                out.push_back(r);
        return out;
    }

    friend bool operator==(const included_resources&, const included_resources&) = default;
};

// A single-resource response (BackgroundAssetResponse, BackgroundAssetVersionResponse, ...).
template <class T>
struct document {
    T data;
    included_resources included;
    document_links links;
    boost::json::object unknown; // other top-level members
    friend bool operator==(const document&, const document&) = default;
};

// One page of a list response (BackgroundAssetsResponse, ...) or of a linkages response
// (T = resource_identifier). `links.next` is absent on the last page.
template <class T>
struct page {
    std::vector<T> data;
    included_resources included;
    paged_document_links links;
    std::optional<paging_information> meta;
    boost::json::object unknown;

    // meta.paging.total when the server sent it.
    std::optional<std::int64_t> total() const { return meta ? meta->paging.total : std::nullopt; }
    bool has_next() const noexcept { return links.next.has_value(); }

    friend bool operator==(const page&, const page&) = default;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value&, const included_resources&);
included_resources tag_invoke(boost::json::value_to_tag<included_resources>,
                              const boost::json::value&);

namespace detail {
// Splits a top-level document object into its members; throws decode_error when not an object
// or `data`/`links` is missing.
const boost::json::object& document_object(const boost::json::value& v, std::string_view what);
boost::json::object document_unknown(const boost::json::object& o);
// The `data` member of a list document; throws decode_error when it is not an array.
const boost::json::array& data_array(const boost::json::object& o);
// Rethrows `e` with its JSON Pointer under `prefix` (e.g. "/data").
[[noreturn]] void rethrow_at(const decode_error& e, std::string_view prefix);
template <class T>
T decode_member(const boost::json::value& v, std::string_view prefix) {
    try {
        return boost::json::value_to<T>(v);
    } catch (const decode_error& e) {
        rethrow_at(e, prefix);
    }
}
} // namespace detail

template <class T>
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const document<T>& d) {
    boost::json::object o = d.unknown;
    o["data"] = boost::json::value_from(d.data);
    if (!d.included.empty())
        o["included"] = boost::json::value_from(d.included);
    o["links"] = boost::json::value_from(d.links);
    v = std::move(o);
}

template <class T>
document<T> tag_invoke(boost::json::value_to_tag<document<T>>, const boost::json::value& v) {
    const auto& o = detail::document_object(v, "document");
    document<T> d;
    d.data = detail::decode_member<T>(o.at("data"), "/data");
    if (auto it = o.find("included"); it != o.end() && !it->value().is_null())
        d.included = boost::json::value_to<included_resources>(it->value());
    d.links = detail::decode_member<document_links>(o.at("links"), "/links");
    d.unknown = detail::document_unknown(o);
    return d;
}

template <class T>
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const page<T>& p) {
    boost::json::object o = p.unknown;
    boost::json::array data;
    data.reserve(p.data.size());
    for (const auto& item : p.data)
        data.push_back(boost::json::value_from(item));
    o["data"] = std::move(data);
    if (!p.included.empty())
        o["included"] = boost::json::value_from(p.included);
    o["links"] = boost::json::value_from(p.links);
    if (p.meta)
        o["meta"] = boost::json::value_from(*p.meta);
    v = std::move(o);
}

template <class T>
page<T> tag_invoke(boost::json::value_to_tag<page<T>>, const boost::json::value& v) {
    const auto& o = detail::document_object(v, "page");
    page<T> p;
    const auto& data = detail::data_array(o);
    p.data.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i)
        p.data.push_back(detail::decode_member<T>(data[i], "/data/" + std::to_string(i)));
    if (auto it = o.find("included"); it != o.end() && !it->value().is_null())
        p.included = boost::json::value_to<included_resources>(it->value());
    p.links = detail::decode_member<paged_document_links>(o.at("links"), "/links");
    if (auto it = o.find("meta"); it != o.end() && !it->value().is_null())
        p.meta = detail::decode_member<paging_information>(it->value(), "/meta");
    p.unknown = detail::document_unknown(o);
    return p;
}

} // namespace ascpp::api
