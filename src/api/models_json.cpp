// Boost.JSON conversions of every Background Assets model, in one translation unit.
//
// Each struct is described once by a table of (JSON name, member) pairs; decoding walks the
// object, fills known members, keeps the rest in `unknown`, and reports the first problem as a
// decode_error with the JSON Pointer of the member. Encoding writes known members that are set,
// then the unknown ones, so a document survives a round trip.
#include <ascpp/api/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <limits>
#include <tuple>
#include <type_traits>

namespace ascpp::api {
namespace json = boost::json;

decode_error::decode_error(std::string pointer, std::string problem)
    : std::runtime_error("invalid JSON at " + (pointer.empty() ? std::string("(root)") : pointer) +
                         ": " + problem),
      pointer_(std::move(pointer)), problem_(std::move(problem)) {}

namespace {

// ---- paths ----

std::string escape_token(std::string_view key) {
    std::string out;
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out.push_back(c);
    }
    return out;
}
std::string at(const std::string& where, std::string_view key) {
    return where + "/" + escape_token(key);
}
std::string at(const std::string& where, std::size_t index) {
    return where + "/" + std::to_string(index);
}

[[noreturn]] void fail(const std::string& where, std::string problem) {
    throw decode_error(where, std::move(problem));
}

const char* kind_of(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null:
        return "null";
    case json::kind::bool_:
        return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
        return "an integer";
    case json::kind::double_:
        return "a number";
    case json::kind::string:
        return "a string";
    case json::kind::array:
        return "an array";
    case json::kind::object:
        return "an object";
    }
    return "a value";
}

const json::object& as_object(const json::value& v, const std::string& where) {
    if (!v.is_object())
        fail(where, std::string("expected an object, got ") + kind_of(v));
    return v.get_object();
}

// ---- description tables ----

template <class S, class M>
struct field {
    std::string_view name;
    M S::*member;
    bool required;
};
template <class S, class M>
constexpr field<S, M> req(std::string_view name, M S::*m) {
    return {name, m, true};
}
template <class S, class M>
constexpr field<S, M> opt(std::string_view name, M S::*m) {
    return {name, m, false};
}

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_optional<boxed<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

template <class T>
concept string_enumeration = std::derived_from<T, string_enum<T>>;

// describe(type_tag<T>) returns {fields tuple, pointer to the `unknown` member or nullptr}.
template <class T>
struct type_tag {};

template <class S>
using unknown_ptr = json_object S::*;

// ---- the tables ----

auto describe(type_tag<resource_identifier>) {
    using S = resource_identifier;
    return std::pair{std::tuple{req("type", &S::type), req("id", &S::id)}, unknown_ptr<S>{}};
}
auto describe(type_tag<resource_links>) {
    using S = resource_links;
    return std::pair{std::tuple{opt("self", &S::self)}, unknown_ptr<S>{}};
}
auto describe(type_tag<relationship_links>) {
    using S = relationship_links;
    return std::pair{std::tuple{opt("self", &S::self), opt("related", &S::related)},
                     unknown_ptr<S>{}};
}
auto describe(type_tag<document_links>) {
    using S = document_links;
    return std::pair{std::tuple{req("self", &S::self)}, &S::unknown};
}
auto describe(type_tag<paged_document_links>) {
    using S = paged_document_links;
    return std::pair{
        std::tuple{req("self", &S::self), opt("first", &S::first), opt("next", &S::next)},
        &S::unknown};
}
auto describe(type_tag<paging>) {
    using S = paging;
    return std::pair{std::tuple{opt("total", &S::total), req("limit", &S::limit),
                                opt("nextCursor", &S::next_cursor)},
                     unknown_ptr<S>{}};
}
auto describe(type_tag<paging_information>) {
    using S = paging_information;
    return std::pair{std::tuple{req("paging", &S::paging)}, unknown_ptr<S>{}};
}
auto describe(type_tag<to_one_relationship>) {
    using S = to_one_relationship;
    return std::pair{std::tuple{opt("data", &S::data), opt("links", &S::links)}, &S::unknown};
}
auto describe(type_tag<to_many_relationship>) {
    using S = to_many_relationship;
    return std::pair{
        std::tuple{opt("links", &S::links), opt("meta", &S::meta), opt("data", &S::data)},
        &S::unknown};
}

auto describe(type_tag<background_asset::attributes_type>) {
    using S = background_asset::attributes_type;
    return std::pair{std::tuple{opt("archived", &S::archived),
                                opt("assetPackIdentifier", &S::asset_pack_identifier),
                                opt("createdDate", &S::created_date),
                                opt("usedBytes", &S::used_bytes)},
                     &S::unknown};
}
auto describe(type_tag<background_asset::relationships_type>) {
    using S = background_asset::relationships_type;
    return std::pair{std::tuple{opt("app", &S::app), opt("versions", &S::versions),
                                opt("appStoreVersion", &S::app_store_version),
                                opt("internalBetaVersion", &S::internal_beta_version),
                                opt("externalBetaVersion", &S::external_beta_version)},
                     &S::unknown};
}

auto describe(type_tag<state_detail>) {
    using S = state_detail;
    return std::pair{std::tuple{opt("code", &S::code), opt("description", &S::description)},
                     &S::unknown};
}
auto describe(type_tag<state_details>) {
    using S = state_details;
    return std::pair{std::tuple{opt("errors", &S::errors), opt("warnings", &S::warnings),
                                opt("infos", &S::infos)},
                     &S::unknown};
}
auto describe(type_tag<background_asset_version::attributes_type>) {
    using S = background_asset_version::attributes_type;
    return std::pair{std::tuple{opt("createdDate", &S::created_date),
                                opt("platforms", &S::platforms), opt("state", &S::state),
                                opt("stateDetails", &S::state_details), opt("version", &S::version),
                                opt("locale", &S::locale)},
                     &S::unknown};
}
auto describe(type_tag<background_asset_version::relationships_type>) {
    using S = background_asset_version::relationships_type;
    return std::pair{
        std::tuple{opt("backgroundAsset", &S::background_asset),
                   opt("internalBetaRelease", &S::internal_beta_release),
                   opt("externalBetaRelease", &S::external_beta_release),
                   opt("appStoreRelease", &S::app_store_release), opt("assetFile", &S::asset_file),
                   opt("manifestFile", &S::manifest_file),
                   opt("backgroundAssetUploadFiles", &S::background_asset_upload_files)},
        &S::unknown};
}

auto describe(type_tag<asset_delivery_state>) {
    using S = asset_delivery_state;
    return std::pair{std::tuple{opt("state", &S::state), opt("errors", &S::errors),
                                opt("warnings", &S::warnings)},
                     &S::unknown};
}
auto describe(type_tag<checksum>) {
    using S = checksum;
    return std::pair{std::tuple{opt("hash", &S::hash), opt("algorithm", &S::algorithm)},
                     &S::unknown};
}
auto describe(type_tag<checksums>) {
    using S = checksums;
    return std::pair{std::tuple{opt("file", &S::file), opt("composite", &S::composite)},
                     &S::unknown};
}
auto describe(type_tag<http_header>) {
    using S = http_header;
    return std::pair{std::tuple{opt("name", &S::name), opt("value", &S::value)}, &S::unknown};
}
auto describe(type_tag<delivery_file_upload_operation>) {
    using S = delivery_file_upload_operation;
    return std::pair{
        std::tuple{opt("method", &S::method), opt("url", &S::url), opt("length", &S::length),
                   opt("offset", &S::offset), opt("requestHeaders", &S::request_headers),
                   opt("expiration", &S::expiration), opt("partNumber", &S::part_number),
                   opt("entityTag", &S::entity_tag)},
        &S::unknown};
}
auto describe(type_tag<background_asset_upload_file::attributes_type>) {
    using S = background_asset_upload_file::attributes_type;
    return std::pair{std::tuple{opt("assetDeliveryState", &S::asset_delivery_state),
                                opt("assetToken", &S::asset_token),
                                opt("assetType", &S::asset_type), opt("fileName", &S::file_name),
                                opt("fileSize", &S::file_size),
                                opt("sourceFileChecksum", &S::source_file_checksum),
                                opt("sourceFileChecksums", &S::source_file_checksums),
                                opt("uploadOperations", &S::upload_operations)},
                     &S::unknown};
}

template <class R>
auto describe_release_attributes() {
    using S = typename R::attributes_type;
    return std::pair{std::tuple{opt("state", &S::state)}, &S::unknown};
}
template <class R>
auto describe_release_relationships() {
    using S = typename R::relationships_type;
    return std::pair{std::tuple{opt("backgroundAssetVersion", &S::background_asset_version)},
                     &S::unknown};
}
auto describe(type_tag<internal_beta_release::attributes_type>) {
    return describe_release_attributes<internal_beta_release>();
}
auto describe(type_tag<external_beta_release::attributes_type>) {
    return describe_release_attributes<external_beta_release>();
}
auto describe(type_tag<app_store_release::attributes_type>) {
    return describe_release_attributes<app_store_release>();
}
auto describe(type_tag<internal_beta_release::relationships_type>) {
    return describe_release_relationships<internal_beta_release>();
}
auto describe(type_tag<external_beta_release::relationships_type>) {
    return describe_release_relationships<external_beta_release>();
}
auto describe(type_tag<app_store_release::relationships_type>) {
    return describe_release_relationships<app_store_release>();
}

auto describe(type_tag<app::attributes_type>) {
    using S = app::attributes_type;
    return std::pair{
        std::tuple{opt("accessibilityUrl", &S::accessibility_url), opt("name", &S::name),
                   opt("bundleId", &S::bundle_id), opt("sku", &S::sku),
                   opt("primaryLocale", &S::primary_locale),
                   opt("isOrEverWasMadeForKids", &S::is_or_ever_was_made_for_kids),
                   opt("subscriptionStatusUrl", &S::subscription_status_url),
                   opt("subscriptionStatusUrlVersion", &S::subscription_status_url_version),
                   opt("subscriptionStatusUrlForSandbox", &S::subscription_status_url_for_sandbox),
                   opt("subscriptionStatusUrlVersionForSandbox",
                       &S::subscription_status_url_version_for_sandbox),
                   opt("contentRightsDeclaration", &S::content_rights_declaration),
                   opt("streamlinedPurchasingEnabled", &S::streamlined_purchasing_enabled)},
        &S::unknown};
}

// Resources share their top level: type, id, attributes, relationships, links.
template <class R>
auto describe_resource() {
    return std::pair{std::tuple{req("type", &R::type), req("id", &R::id),
                                opt("attributes", &R::attributes),
                                opt("relationships", &R::relationships), opt("links", &R::links)},
                     &R::unknown};
}
auto describe(type_tag<background_asset>) {
    return describe_resource<background_asset>();
}
auto describe(type_tag<background_asset_version>) {
    return describe_resource<background_asset_version>();
}
auto describe(type_tag<background_asset_upload_file>) {
    return describe_resource<background_asset_upload_file>();
}
auto describe(type_tag<internal_beta_release>) {
    return describe_resource<internal_beta_release>();
}
auto describe(type_tag<external_beta_release>) {
    return describe_resource<external_beta_release>();
}
auto describe(type_tag<app_store_release>) {
    return describe_resource<app_store_release>();
}
auto describe(type_tag<app>) {
    return describe_resource<app>();
}

auto describe(type_tag<error_source>) {
    using S = error_source;
    return std::pair{std::tuple{opt("pointer", &S::pointer), opt("parameter", &S::parameter)},
                     unknown_ptr<S>{}};
}
auto describe(type_tag<response_error>) {
    using S = response_error;
    // status, code and title are required by the spec, but an error body that lacks one must
    // still become an api_error, so they are read leniently.
    return std::pair{std::tuple{opt("id", &S::id), opt("status", &S::status), opt("code", &S::code),
                                opt("title", &S::title), opt("detail", &S::detail),
                                opt("source", &S::source), opt("links", &S::links),
                                opt("meta", &S::meta)},
                     &S::unknown};
}

template <class T>
concept described = requires {
    describe(type_tag<T>{});
};

// Declared first so the container overloads below find them for described element types.
template <class T>
requires described<T>
void decode_into(T& out, const json::value& v, const std::string& where);
template <class T>
requires described<T> json::value encode_value(const T& s);
template <class T>
void decode_into(std::optional<T>& out, const json::value& v, const std::string& where);
template <class T>
void decode_into(boxed<T>& out, const json::value& v, const std::string& where);
template <class T>
void decode_into(std::vector<T>& out, const json::value& v, const std::string& where);
template <class T>
json::value encode_value(const std::vector<T>& v);

// Scalars.
void decode_into(std::string& out, const json::value& v, const std::string& where) {
    if (!v.is_string())
        fail(where, std::string("expected a string, got ") + kind_of(v));
    out = v.get_string();
}
void decode_into(bool& out, const json::value& v, const std::string& where) {
    if (!v.is_bool())
        fail(where, std::string("expected a boolean, got ") + kind_of(v));
    out = v.get_bool();
}
void decode_into(std::int64_t& out, const json::value& v, const std::string& where) {
    if (v.is_int64())
        out = v.get_int64();
    else if (v.is_uint64() &&
             v.get_uint64() <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        out = static_cast<std::int64_t>(v.get_uint64());
    else
        fail(where, std::string("expected an integer, got ") + kind_of(v));
}
void decode_into(json_object& out, const json::value& v, const std::string& where) {
    out = as_object(v, where);
}
template <string_enumeration E>
void decode_into(E& out, const json::value& v, const std::string& where) {
    if (!v.is_string())
        fail(where, std::string("expected a string, got ") + kind_of(v));
    out = E(std::string(v.get_string()));
}
template <class T>
void decode_into(std::optional<T>& out, const json::value& v, const std::string& where) {
    if (v.is_null()) { // Apple sends null for absent values in places (uploadOperations, entityTag)
        out.reset();
        return;
    }
    decode_into(out.emplace(), v, where);
}
template <class T>
void decode_into(boxed<T>& out, const json::value& v, const std::string& where) {
    if (v.is_null()) {
        out.reset();
        return;
    }
    decode_into(out.emplace(), v, where);
}
template <class T>
void decode_into(std::vector<T>& out, const json::value& v, const std::string& where) {
    if (!v.is_array())
        fail(where, std::string("expected an array, got ") + kind_of(v));
    const auto& a = v.get_array();
    out.clear();
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        decode_into(out.emplace_back(), a[i], at(where, i));
}

template <class S, class Fields>
void decode_described(S& s, const json::value& v, const std::string& where, const Fields& fields,
                      json_object S::*unknown) {
    const auto& o = as_object(v, where);
    constexpr std::size_t n = std::tuple_size_v<Fields>;
    bool seen[n > 0 ? n : 1] = {};
    for (const auto& kv : o) {
        bool matched = false;
        std::size_t index = 0;
        std::apply(
            [&](const auto&... f) {
                (([&] {
                     if (!matched && kv.key() == f.name) {
                         matched = true;
                         seen[index] = true;
                         if (f.required && kv.value().is_null())
                             fail(at(where, f.name), "must not be null");
                         decode_into(s.*(f.member), kv.value(), at(where, f.name));
                     }
                     ++index;
                 }()),
                 ...);
            },
            fields);
        if (!matched && unknown)
            (s.*unknown).get()[kv.key()] = kv.value();
    }
    std::size_t index = 0;
    std::apply(
        [&](const auto&... f) {
            (([&] {
                 if (f.required && !seen[index])
                     fail(where, "missing required member \"" + std::string(f.name) + "\"");
                 ++index;
             }()),
             ...);
        },
        fields);
}

template <class T>
requires described<T>
void decode_into(T& out, const json::value& v, const std::string& where) {
    auto [fields, unknown] = describe(type_tag<T>{});
    decode_described(out, v, where, fields, unknown);
}

// Encoding.
json::value encode_value(const std::string& s) {
    return json::value(s);
}
json::value encode_value(bool b) {
    return json::value(b);
}
json::value encode_value(std::int64_t i) {
    return json::value(i);
}
json::value encode_value(const json_object& o) {
    return json::value(o.get());
}
template <string_enumeration E>
json::value encode_value(const E& e) {
    return json::value(e.str());
}
template <class T>
json::value encode_value(const std::vector<T>& v) {
    json::array a;
    a.reserve(v.size());
    for (const auto& item : v)
        a.push_back(encode_value(item));
    return a;
}
template <class T>
requires described<T> json::value encode_value(const T& s) {
    auto [fields, unknown] = describe(type_tag<T>{});
    json::object o;
    std::apply(
        [&](const auto&... f) {
            (([&] {
                 const auto& m = s.*(f.member);
                 if constexpr (is_optional<std::decay_t<decltype(m)>>::value) {
                     if (m)
                         o[f.name] = encode_value(*m);
                 } else {
                     o[f.name] = encode_value(m);
                 }
             }()),
             ...);
        },
        fields);
    if (unknown)
        for (const auto& kv : (s.*unknown).get())
            if (!o.contains(kv.key()))
                o[kv.key()] = kv.value();
    return o;
}

template <class T>
T decode_root(const json::value& v) {
    T out;
    decode_into(out, v, "");
    return out;
}

// A resource decoded as primary data must be of its own type.
template <class R>
R decode_resource(const json::value& v, const std::string& where) {
    R r;
    decode_into(r, v, where);
    if (r.type != R::resource_type)
        fail(at(where, "type"),
             "expected \"" + std::string(R::resource_type) + "\", got \"" + r.type + "\"");
    return r;
}

template <class R>
R resource_from(const json::value& v) {
    return decode_resource<R>(v, "");
}

} // namespace

// ---- tag_invoke definitions ----

#define ASCPP_API_JSON(T)                                                                          \
    void tag_invoke(json::value_from_tag, json::value& v, const T& x) {                            \
        v = encode_value(x);                                                                       \
    }                                                                                              \
    T tag_invoke(json::value_to_tag<T>, const json::value& v) {                                    \
        return decode_root<T>(v);                                                                  \
    }

ASCPP_API_JSON(resource_identifier)
ASCPP_API_JSON(resource_links)
ASCPP_API_JSON(relationship_links)
ASCPP_API_JSON(document_links)
ASCPP_API_JSON(paged_document_links)
ASCPP_API_JSON(paging_information)
ASCPP_API_JSON(to_one_relationship)
ASCPP_API_JSON(to_many_relationship)
ASCPP_API_JSON(state_detail)
ASCPP_API_JSON(state_details)
ASCPP_API_JSON(asset_delivery_state)
ASCPP_API_JSON(checksum)
ASCPP_API_JSON(checksums)
ASCPP_API_JSON(http_header)
ASCPP_API_JSON(delivery_file_upload_operation)
ASCPP_API_JSON(error_source)
ASCPP_API_JSON(response_error)
#undef ASCPP_API_JSON

#define ASCPP_API_RESOURCE_JSON(T)                                                                 \
    void tag_invoke(json::value_from_tag, json::value& v, const T& x) {                            \
        v = encode_value(x);                                                                       \
    }                                                                                              \
    T tag_invoke(json::value_to_tag<T>, const json::value& v) {                                    \
        return resource_from<T>(v);                                                                \
    }

ASCPP_API_RESOURCE_JSON(background_asset)
ASCPP_API_RESOURCE_JSON(background_asset_version)
ASCPP_API_RESOURCE_JSON(background_asset_upload_file)
ASCPP_API_RESOURCE_JSON(internal_beta_release)
ASCPP_API_RESOURCE_JSON(external_beta_release)
ASCPP_API_RESOURCE_JSON(app_store_release)
ASCPP_API_RESOURCE_JSON(app)
#undef ASCPP_API_RESOURCE_JSON

// ---- included ----

void tag_invoke(json::value_from_tag, json::value& v, const included_resources& in) {
    json::array a;
    a.reserve(in.items.size());
    for (const auto& item : in.items)
        a.push_back(std::visit(
            [](const auto& r) -> json::value {
                if constexpr (std::is_same_v<std::decay_t<decltype(r)>, json_object>)
                    return r.get();
                else
                    return encode_value(r);
            },
            item));
    v = std::move(a);
}

included_resources tag_invoke(json::value_to_tag<included_resources>, const json::value& v) {
    const std::string where = "/included";
    if (!v.is_array())
        fail(where, std::string("expected an array, got ") + kind_of(v));
    included_resources out;
    const auto& a = v.get_array();
    out.items.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto here = at(where, i);
        const auto& o = as_object(a[i], here);
        const auto* type = o.if_contains("type");
        if (!type || !type->is_string())
            fail(at(here, "type"), "missing or not a string");
        const std::string_view t = type->get_string();
        if (t == app::resource_type)
            out.items.emplace_back(decode_resource<app>(a[i], here));
        else if (t == background_asset::resource_type)
            out.items.emplace_back(decode_resource<background_asset>(a[i], here));
        else if (t == background_asset_version::resource_type)
            out.items.emplace_back(decode_resource<background_asset_version>(a[i], here));
        else if (t == background_asset_upload_file::resource_type)
            out.items.emplace_back(decode_resource<background_asset_upload_file>(a[i], here));
        else if (t == internal_beta_release::resource_type)
            out.items.emplace_back(decode_resource<internal_beta_release>(a[i], here));
        else if (t == external_beta_release::resource_type)
            out.items.emplace_back(decode_resource<external_beta_release>(a[i], here));
        else if (t == app_store_release::resource_type)
            out.items.emplace_back(decode_resource<app_store_release>(a[i], here));
        else
            out.items.emplace_back(
                json_object(o)); // a resource type this client does not know: kept
    }
    return out;
}

namespace detail {

const json::object& document_object(const json::value& v, std::string_view what) {
    const auto& o = as_object(v, "");
    if (!o.contains("data"))
        fail("", "missing required member \"data\" of the " + std::string(what));
    if (!o.contains("links"))
        fail("", "missing required member \"links\" of the " + std::string(what));
    return o;
}

json::object document_unknown(const json::object& o) {
    json::object out;
    for (const auto& kv : o)
        if (kv.key() != "data" && kv.key() != "included" && kv.key() != "links" &&
            kv.key() != "meta")
            out[kv.key()] = kv.value();
    return out;
}

const json::array& data_array(const json::object& o) {
    const auto& d = o.at("data");
    if (!d.is_array())
        fail("/data", std::string("expected an array, got ") + kind_of(d));
    return d.get_array();
}

[[noreturn]] void rethrow_at(const decode_error& e, std::string_view prefix) {
    throw decode_error(std::string(prefix) + e.pointer(), e.problem());
}

} // namespace detail

// ---- request bodies ----

namespace {

json::object linkage(std::string_view type, const std::string& id) {
    return json::object{{"data", json::object{{"type", type}, {"id", id}}}};
}

// Reads data.relationships.<name>.data and checks its type; returns the id.
std::string read_linkage(const json::object& data, std::string_view name,
                         std::string_view expected_type) {
    const std::string rels_at = "/data/relationships";
    const auto* rels = data.if_contains("relationships");
    if (!rels)
        fail("/data", "missing required member \"relationships\"");
    const auto& r = as_object(*rels, rels_at);
    const auto* rel = r.if_contains(name);
    const std::string rel_at = at(rels_at, name);
    if (!rel)
        fail(rels_at, "missing required member \"" + std::string(name) + "\"");
    const auto& ro = as_object(*rel, rel_at);
    const auto* d = ro.if_contains("data");
    if (!d)
        fail(rel_at, "missing required member \"data\"");
    resource_identifier id;
    decode_into(id, *d, at(rel_at, "data"));
    if (id.type != expected_type)
        fail(at(at(rel_at, "data"), "type"),
             "expected \"" + std::string(expected_type) + "\", got \"" + id.type + "\"");
    return id.id;
}

// Returns `data` after checking it is an object of the expected type.
const json::object& request_data(const json::value& v, std::string_view expected_type) {
    const auto& root = as_object(v, "");
    const auto* d = root.if_contains("data");
    if (!d)
        fail("", "missing required member \"data\"");
    const auto& data = as_object(*d, "/data");
    std::string type;
    const auto* t = data.if_contains("type");
    if (!t)
        fail("/data", "missing required member \"type\"");
    decode_into(type, *t, "/data/type");
    if (type != expected_type)
        fail("/data/type", "expected \"" + std::string(expected_type) + "\", got \"" + type + "\"");
    return data;
}

std::string request_id(const json::object& data) {
    const auto* id = data.if_contains("id");
    if (!id)
        fail("/data", "missing required member \"id\"");
    std::string out;
    decode_into(out, *id, "/data/id");
    return out;
}

const json::object* request_attributes(const json::object& data, bool required) {
    const auto* a = data.if_contains("attributes");
    if (!a || a->is_null()) {
        if (required)
            fail("/data", "missing required member \"attributes\"");
        return nullptr;
    }
    return &as_object(*a, "/data/attributes");
}

template <class T>
void read_attribute(const json::object& attrs, std::string_view name, T& out, bool required) {
    const auto* v = attrs.if_contains(name);
    if (!v) {
        if (required)
            fail("/data/attributes", "missing required member \"" + std::string(name) + "\"");
        return;
    }
    decode_into(out, *v, at("/data/attributes", name));
}

} // namespace

void tag_invoke(json::value_from_tag, json::value& v, const background_asset_create_request& r) {
    v = json::object{
        {"data",
         json::object{
             {"type", background_asset::resource_type},
             {"attributes", json::object{{"assetPackIdentifier", r.asset_pack_identifier}}},
             {"relationships", json::object{{"app", linkage(app::resource_type, r.app_id)}}}}}};
}
background_asset_create_request tag_invoke(json::value_to_tag<background_asset_create_request>,
                                           const json::value& v) {
    const auto& data = request_data(v, background_asset::resource_type);
    background_asset_create_request r;
    read_attribute(*request_attributes(data, true), "assetPackIdentifier", r.asset_pack_identifier,
                   true);
    r.app_id = read_linkage(data, "app", app::resource_type);
    return r;
}

void tag_invoke(json::value_from_tag, json::value& v, const background_asset_update_request& r) {
    json::object data{{"type", background_asset::resource_type}, {"id", r.id}};
    if (r.archived)
        data["attributes"] = json::object{{"archived", *r.archived}};
    v = json::object{{"data", std::move(data)}};
}
background_asset_update_request tag_invoke(json::value_to_tag<background_asset_update_request>,
                                           const json::value& v) {
    const auto& data = request_data(v, background_asset::resource_type);
    background_asset_update_request r;
    r.id = request_id(data);
    if (const auto* attrs = request_attributes(data, false))
        read_attribute(*attrs, "archived", r.archived, false);
    return r;
}

void tag_invoke(json::value_from_tag, json::value& v,
                const background_asset_version_create_request& r) {
    v = json::object{
        {"data",
         json::object{{"type", background_asset_version::resource_type},
                      {"relationships",
                       json::object{{"backgroundAsset", linkage(background_asset::resource_type,
                                                                r.background_asset_id)}}}}}};
}
background_asset_version_create_request
tag_invoke(json::value_to_tag<background_asset_version_create_request>, const json::value& v) {
    const auto& data = request_data(v, background_asset_version::resource_type);
    background_asset_version_create_request r;
    r.background_asset_id = read_linkage(data, "backgroundAsset", background_asset::resource_type);
    return r;
}

void tag_invoke(json::value_from_tag, json::value& v,
                const background_asset_upload_file_create_request& r) {
    v = json::object{
        {"data", json::object{{"type", background_asset_upload_file::resource_type},
                              {"attributes", json::object{{"assetType", r.asset_type.str()},
                                                          {"fileName", r.file_name},
                                                          {"fileSize", r.file_size}}},
                              {"relationships",
                               json::object{{"backgroundAssetVersion",
                                             linkage(background_asset_version::resource_type,
                                                     r.background_asset_version_id)}}}}}};
}
background_asset_upload_file_create_request
tag_invoke(json::value_to_tag<background_asset_upload_file_create_request>, const json::value& v) {
    const auto& data = request_data(v, background_asset_upload_file::resource_type);
    background_asset_upload_file_create_request r;
    const auto& attrs = *request_attributes(data, true);
    read_attribute(attrs, "assetType", r.asset_type, true);
    read_attribute(attrs, "fileName", r.file_name, true);
    read_attribute(attrs, "fileSize", r.file_size, true);
    r.background_asset_version_id =
        read_linkage(data, "backgroundAssetVersion", background_asset_version::resource_type);
    return r;
}

void tag_invoke(json::value_from_tag, json::value& v,
                const background_asset_upload_file_update_request& r) {
    json::object attrs;
    if (r.source_file_checksum)
        attrs["sourceFileChecksum"] = *r.source_file_checksum;
    if (r.source_file_checksums)
        attrs["sourceFileChecksums"] = encode_value(*r.source_file_checksums);
    if (r.uploaded)
        attrs["uploaded"] = *r.uploaded;
    json::object data{{"type", background_asset_upload_file::resource_type}, {"id", r.id}};
    if (!attrs.empty())
        data["attributes"] = std::move(attrs);
    v = json::object{{"data", std::move(data)}};
}
background_asset_upload_file_update_request
tag_invoke(json::value_to_tag<background_asset_upload_file_update_request>, const json::value& v) {
    const auto& data = request_data(v, background_asset_upload_file::resource_type);
    background_asset_upload_file_update_request r;
    r.id = request_id(data);
    if (const auto* attrs = request_attributes(data, false)) {
        read_attribute(*attrs, "uploaded", r.uploaded, false);
        read_attribute(*attrs, "sourceFileChecksums", r.source_file_checksums, false);
        read_attribute(*attrs, "sourceFileChecksum", r.source_file_checksum, false);
    }
    return r;
}

} // namespace ascpp::api
