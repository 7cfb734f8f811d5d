// JSON:API building blocks shared by every Background Assets resource and document: resource
// identifiers (linkages), links, relationships and paging information.
//
// Optional members are std::optional so that "absent" survives a round trip; members the spec
// does not declare are kept in `unknown` objects and written back unchanged.
#pragma once

#include <ascpp/api/json_object.hpp>
#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ascpp::api {

// {type, id}: the `data` of a relationship and the items of a linkages response.
struct resource_identifier {
    std::string type;
    std::string id;
    friend bool operator==(const resource_identifier&, const resource_identifier&) = default;
};

// ResourceLinks.
struct resource_links {
    std::optional<std::string> self;
    friend bool operator==(const resource_links&, const resource_links&) = default;
};

// RelationshipLinks.
struct relationship_links {
    std::optional<std::string> self;
    std::optional<std::string> related;
    friend bool operator==(const relationship_links&, const relationship_links&) = default;
};

// DocumentLinks.
struct document_links {
    std::string self;
    json_object unknown;
    friend bool operator==(const document_links&, const document_links&) = default;
};

// PagedDocumentLinks. `next` is absent on the last page.
struct paged_document_links {
    std::string self;
    std::optional<std::string> first;
    std::optional<std::string> next;
    json_object unknown;
    friend bool operator==(const paged_document_links&, const paged_document_links&) = default;
};

// PagingInformation.paging.
struct paging {
    std::optional<std::int64_t> total;
    std::int64_t limit = 0;
    std::optional<std::string> next_cursor;
    friend bool operator==(const paging&, const paging&) = default;
};

// PagingInformation.
struct paging_information {
    api::paging paging;
    friend bool operator==(const paging_information&, const paging_information&) = default;
};

// A to-one relationship: {data?: {type, id}, links?}.
struct to_one_relationship {
    std::optional<resource_identifier> data;
    std::optional<relationship_links> links;
    json_object unknown;
    friend bool operator==(const to_one_relationship&, const to_one_relationship&) = default;
};

// A to-many relationship: {links?, meta?, data?: [{type, id}]}.
struct to_many_relationship {
    std::optional<relationship_links> links;
    std::optional<paging_information> meta;
    std::optional<std::vector<resource_identifier>> data;
    json_object unknown;
    friend bool operator==(const to_many_relationship&, const to_many_relationship&) = default;
};

// Boost.JSON conversions (value_from / value_to). Decoding throws api::decode_error.
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const resource_identifier&);
resource_identifier tag_invoke(boost::json::value_to_tag<resource_identifier>,
                               const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const resource_links&);
resource_links tag_invoke(boost::json::value_to_tag<resource_links>, const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const relationship_links&);
relationship_links tag_invoke(boost::json::value_to_tag<relationship_links>,
                              const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const document_links&);
document_links tag_invoke(boost::json::value_to_tag<document_links>, const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const paged_document_links&);
paged_document_links tag_invoke(boost::json::value_to_tag<paged_document_links>,
                                const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const paging_information&);
paging_information tag_invoke(boost::json::value_to_tag<paging_information>,
                              const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const to_one_relationship&);
to_one_relationship tag_invoke(boost::json::value_to_tag<to_one_relationship>,
                               const boost::json::value&);
void tag_invoke(boost::json::value_from_tag, boost::json::value&, const to_many_relationship&);
to_many_relationship tag_invoke(boost::json::value_to_tag<to_many_relationship>,
                                const boost::json::value&);

} // namespace ascpp::api
