// A parked completion handler, type-erased, that completes later from any thread.
//
// Why not asio::any_completion_handler: in Boost 1.81 its move assignment recurses forever and
// its executor adaptation misbehaves with some handlers (use_future), so ascpp erases handlers
// itself. A parked handler keeps its executor's work count (an io_context::run() does not return
// while a coroutine is parked here) and always completes through asio::post on that executor,
// never inline in the thread that completes it.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace ascpp {
// As in <ascpp/async.hpp>: every layer of the library spells Boost.Asio `asio`.
namespace asio = boost::asio;
} // namespace ascpp

namespace ascpp::detail {

template <class... Args>
class parked_handler {
public:
    parked_handler() = default;

    template <class Handler, class Fallback>
    parked_handler(Handler handler, const Fallback& fallback)
        : impl_(std::make_unique<impl<Handler, Fallback>>(std::move(handler), fallback)) {}

    explicit operator bool() const noexcept { return impl_ != nullptr; }

    // Posts the handler with `args` to its executor; the parked_handler becomes empty.
    void complete(Args... args) {
        auto i = std::move(impl_);
        i->complete(std::move(args)...);
    }

private:
    struct base {
        virtual ~base() = default;
        virtual void complete(Args... args) = 0;
    };

    template <class Handler, class Fallback>
    struct impl final : base {
        using executor_type = asio::associated_executor_t<Handler, Fallback>;
        // decay: when the executor ignores the property, prefer() hands back a reference.
        using work_type = std::decay_t<typename asio::prefer_result<
            executor_type, asio::execution::outstanding_work_t::tracked_t>::type>;

        impl(Handler h, const Fallback& fallback)
            : work(asio::prefer(asio::get_associated_executor(h, fallback),
                                asio::execution::outstanding_work.tracked)),
              handler(std::move(h)) {}

        void complete(Args... args) override {
            asio::post(work, [h = std::move(handler), ... a = std::move(args)]() mutable {
                std::move(h)(std::move(a)...);
            });
        }

        work_type work;
        Handler handler;
    };

    std::unique_ptr<base> impl_;
};

} // namespace ascpp::detail
