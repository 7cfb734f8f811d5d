// --webhook-listen and `ascpp webhook listen`: the webhook receiver as the commands use it.
#pragma once

#include "command_line.hpp"

#include <ascpp/workflow/webhook_receiver.hpp>

#include <functional>
#include <memory>

namespace ascpp::cli {

// The receiver's options from --webhook-listen and its companions (reads the secret file).
// Throws usage_error for an unreadable or empty secret or a bad ADDR:PORT.
workflow::webhook_receiver_options webhook_receiver_options_of(const command_args& a);

// The polls of a wait that webhooks wake: every --webhook-fallback-poll, with a little jitter.
workflow::poll_policy webhook_fallback_policy(const command_args& a);

// `ascpp webhook listen`: needs no API key; runs until interrupted or --timeout. Returns the
// exit code.
int run_webhook_listen(const invocation& inv);

} // namespace ascpp::cli
