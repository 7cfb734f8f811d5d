// JSON encoding and decoding of the models with Boost.JSON: `boost::json::value_to<document<T>>`,
// `boost::json::value_from(page)`, and the same for every resource and request. The client uses
// it; include it to (de)serialize models yourself (tests, caches, journals). The model headers
// only declare their tag_invoke overloads, so that users who do not touch JSON do not compile
// value_to/value_from.
#pragma once

#include <ascpp/api/document.hpp>
#include <ascpp/api/requests.hpp>
#include <ascpp/api/string_enum.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <concepts>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ascpp::api {

template <class Derived>
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const string_enum<Derived>& e) {
    v = e.str();
}

template <class Derived>
requires std::derived_from<Derived, string_enum<Derived>>
    Derived tag_invoke(boost::json::value_to_tag<Derived>, const boost::json::value& v) {
    if (!v.is_string())
        throw std::invalid_argument("expected a string for an enumeration value");
    return Derived(std::string(v.get_string()));
}

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
    boost::json::object o = d.unknown.get();
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
    boost::json::object o = p.unknown.get();
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
