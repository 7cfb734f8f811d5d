// An optional value kept on the heap.
#pragma once

#include <memory>
#include <optional>
#include <utility>

namespace ascpp::api {

// What std::optional<T> is, at the size of one pointer: for members that are large and usually
// absent or unread (a resource's relationships, over a kilobyte of links and identifiers), so
// that a model held in many places, such as the result slot of every waiting watch and of its
// caller's coroutine frame, does not pay for them. Copies copy the value; == compares values.
template <class T>
class boxed {
public:
    using value_type = T;

    boxed() noexcept = default;
    boxed(std::nullopt_t) noexcept {}
    boxed(T value) : p_(std::make_unique<T>(std::move(value))) {}
    boxed(const boxed& other) : p_(other.p_ ? std::make_unique<T>(*other.p_) : nullptr) {}
    boxed(boxed&&) noexcept = default;
    boxed& operator=(const boxed& other) {
        if (this != &other)
            p_ = other.p_ ? std::make_unique<T>(*other.p_) : nullptr;
        return *this;
    }
    boxed& operator=(boxed&&) noexcept = default;
    boxed& operator=(std::nullopt_t) noexcept {
        p_.reset();
        return *this;
    }
    ~boxed() = default;

    template <class... Args>
    T& emplace(Args&&... args) {
        p_ = std::make_unique<T>(std::forward<Args>(args)...);
        return *p_;
    }
    void reset() noexcept { p_.reset(); }

    bool has_value() const noexcept { return p_ != nullptr; }
    explicit operator bool() const noexcept { return has_value(); }

    T& operator*() & noexcept { return *p_; }
    const T& operator*() const& noexcept { return *p_; }
    T* operator->() noexcept { return p_.get(); }
    const T* operator->() const noexcept { return p_.get(); }
    T& value() & {
        if (!p_)
            throw std::bad_optional_access();
        return *p_;
    }
    const T& value() const& {
        if (!p_)
            throw std::bad_optional_access();
        return *p_;
    }

    friend bool operator==(const boxed& a, const boxed& b) {
        return a.has_value() == b.has_value() && (!a.has_value() || *a == *b);
    }
    friend bool operator==(const boxed& a, std::nullopt_t) noexcept { return !a.has_value(); }

private:
    std::unique_ptr<T> p_;
};

} // namespace ascpp::api
