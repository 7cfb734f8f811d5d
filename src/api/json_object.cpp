#include <ascpp/api/error.hpp>
#include <ascpp/api/json_object.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <stdexcept>
#include <string>

namespace ascpp::api {

namespace json = boost::json;

namespace {
// One empty object for get() on an empty json_object, so reading never allocates.
const json::object& empty_object() {
    static const json::object empty;
    return empty;
}
} // namespace

json_object::json_object() noexcept = default;
// Every copy is made on the default memory resource: an object parsed with a short-lived
// resource (a monotonic buffer) must not leave models pointing into it.
json_object::json_object(json::object object)
    : object_(object.empty()
                  ? nullptr
                  : std::make_unique<json::object>(std::move(object), json::storage_ptr())) {}
json_object::json_object(const json_object& other)
    : object_(other.object_ ? std::make_unique<json::object>(*other.object_, json::storage_ptr())
                            : nullptr) {}
json_object::json_object(json_object&& other) noexcept = default;
json_object& json_object::operator=(const json_object& other) {
    if (this != &other)
        object_ = other.object_
                      ? std::make_unique<json::object>(*other.object_, json::storage_ptr())
                      : nullptr;
    return *this;
}
json_object& json_object::operator=(json_object&& other) noexcept = default;
json_object::~json_object() = default;

bool json_object::empty() const noexcept {
    return !object_ || object_->empty();
}
std::size_t json_object::size() const noexcept {
    return object_ ? object_->size() : 0;
}
bool json_object::contains(std::string_view key) const noexcept {
    return object_ && object_->contains(key);
}
const json::value& json_object::at(std::string_view key) const {
    if (const auto* v = object_ ? object_->if_contains(key) : nullptr)
        return *v;
    throw std::out_of_range("no member \"" + std::string(key) + "\" in the JSON object");
}

const json::object& json_object::get() const {
    return object_ ? *object_ : empty_object();
}
json::object& json_object::get() {
    if (!object_)
        object_ = std::make_unique<json::object>();
    return *object_;
}

bool operator==(const json_object& a, const json_object& b) noexcept {
    return a.get() == b.get();
}

void tag_invoke(json::value_from_tag, json::value& v, const json_object& o) {
    v = o.get();
}

json_object tag_invoke(json::value_to_tag<json_object>, const json::value& v) {
    if (!v.is_object())
        throw decode_error("", "expected an object");
    return json_object(v.get_object());
}

} // namespace ascpp::api
