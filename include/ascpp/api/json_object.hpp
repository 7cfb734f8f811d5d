// A JSON object kept as the server sent it: the members of a resource this spec version does not
// declare, a resource of an unknown type, free-form `meta`. It lives behind a pointer so that
// including a model header does not make its users compile Boost.JSON; include
// <boost/json/object.hpp> (or <ascpp/api/json.hpp>) to look inside with get().
#pragma once

#include <boost/json/fwd.hpp>

#include <cstddef>
#include <memory>
#include <string_view>

namespace ascpp::api {

class json_object {
public:
    json_object() noexcept;
    json_object(boost::json::object object); // implicit, as a value is
    json_object(const json_object& other);
    json_object(json_object&& other) noexcept;
    json_object& operator=(const json_object& other);
    json_object& operator=(json_object&& other) noexcept;
    ~json_object();

    bool empty() const noexcept;
    std::size_t size() const noexcept;
    bool contains(std::string_view key) const noexcept;
    // The member's value; throws std::out_of_range when absent.
    const boost::json::value& at(std::string_view key) const;

    // The object itself (an empty one when nothing was kept).
    const boost::json::object& get() const;
    boost::json::object& get();

    friend bool operator==(const json_object& a, const json_object& b) noexcept;

private:
    std::unique_ptr<boost::json::object> object_; // null when empty
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const json_object& o);
// Throws decode_error when `v` is not an object.
json_object tag_invoke(boost::json::value_to_tag<json_object>, const boost::json::value& v);

} // namespace ascpp::api
