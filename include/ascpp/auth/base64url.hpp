// Unpadded base64url (RFC 4648 §5), as JWS uses it.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::auth {

std::string base64url_encode(std::span<const unsigned char> bytes);
std::string base64url_encode(std::string_view bytes);
// nullopt when `text` has characters outside the base64url alphabet or an impossible length.
// Trailing '=' padding is accepted.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace ascpp::auth
