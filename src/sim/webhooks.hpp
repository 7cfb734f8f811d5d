// The simulator's webhooks: configurations, and a signed delivery of every version and release
// state change to each webhook that asked for its event type, retried with backoff when not
// acknowledged, and subject to the delivery faults (drop, delay, duplicate, reorder, forge).
#pragma once

#include "service.hpp"

#include <ascpp/http/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ascpp::sim {

// The webhook event type of a change, or empty when no webhook event tells of it.
std::string webhook_event_type(const state_change& c);

class webhook_dispatcher : public std::enable_shared_from_this<webhook_dispatcher> {
public:
    // `ca_file`: trusted for https:// webhook URLs.
    webhook_dispatcher(service& svc, std::optional<std::filesystem::path> ca_file);

    std::string add(webhook_config config);
    void remove(std::string_view id);
    std::vector<std::pair<std::string, webhook_config>> list() const;

    // Called under the service lock for each state change: plans and starts the deliveries.
    void on_change(const state_change& c);

    // After the io_context's threads have stopped, before it is destroyed: closes the client.
    void close();

private:
    struct delivery {
        std::string hook_id;
        std::string url;
        std::string body;
        std::string signature; // the header's value
        bool forged = false;   // sent once, never retried
    };
    struct hook {
        webhook_config config;
        // A reorder fault's delivery, waiting for the next delivery to this webhook.
        std::optional<delivery> held;
        std::uint64_t held_serial = 0;
    };

    static asio::awaitable<void> send(std::shared_ptr<webhook_dispatcher> self, delivery d,
                                      std::chrono::milliseconds delay,
                                      std::optional<delivery> then);
    static asio::awaitable<void> release_held(std::shared_ptr<webhook_dispatcher> self,
                                              std::string hook_id, std::uint64_t serial,
                                              std::chrono::milliseconds after);
    asio::awaitable<bool> post_once(const delivery& d);
    std::string sign(std::string_view secret, std::string_view body) const;

    service& svc_;
    std::unique_ptr<ascpp::http::client> client_;
    mutable std::mutex mutex_;
    std::map<std::string, hook, std::less<>> hooks_;
    std::uint64_t next_serial_ = 0;
};

} // namespace ascpp::sim
