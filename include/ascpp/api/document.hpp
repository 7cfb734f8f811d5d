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

#include <ascpp/api/json_object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ascpp::api {

// One member of `included`. A resource of a type this client does not know stays raw JSON.
using included_resource =
    std::variant<app, background_asset, background_asset_version, background_asset_upload_file,
                 internal_beta_release, external_beta_release, app_store_release, json_object>;

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
    json_object unknown; // other top-level members
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
    json_object unknown;

    // meta.paging.total when the server sent it.
    std::optional<std::int64_t> total() const { return meta ? meta->paging.total : std::nullopt; }
    bool has_next() const noexcept { return links.next.has_value(); }

    friend bool operator==(const page&, const page&) = default;
};

} // namespace ascpp::api
