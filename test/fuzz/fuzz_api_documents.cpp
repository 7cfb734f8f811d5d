// Fuzz target: every response document the client decodes (single resources, pages, linkages,
// releases, ErrorResponse bodies). The first byte picks the type; the rest is the body. Decoding
// may throw (a typed error for the caller), never crash or overflow.
#include <ascpp/api/background_asset.hpp>
#include <ascpp/api/background_asset_upload_file.hpp>
#include <ascpp/api/background_asset_version.hpp>
#include <ascpp/api/document.hpp>
#include <ascpp/api/error.hpp>
#include <ascpp/api/json.hpp>
#include <ascpp/api/release.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

namespace {

namespace api = ascpp::api;

template <class Doc>
void round_trip(const boost::json::value& v) {
    // What decodes must encode again (the client keeps unknown members for forward
    // compatibility, so a decoded document is re-serialisable).
    auto doc = boost::json::value_to<Doc>(v);
    (void)boost::json::serialize(boost::json::value_from(doc));
}

void decode(std::uint8_t kind, const boost::json::value& v) {
    switch (kind % 10) {
    case 0:
        round_trip<api::document<api::background_asset>>(v);
        break;
    case 1:
        round_trip<api::page<api::background_asset>>(v);
        break;
    case 2:
        round_trip<api::document<api::background_asset_version>>(v);
        break;
    case 3:
        round_trip<api::page<api::background_asset_version>>(v);
        break;
    case 4:
        round_trip<api::document<api::background_asset_upload_file>>(v);
        break;
    case 5:
        round_trip<api::page<api::background_asset_upload_file>>(v);
        break;
    case 6:
        round_trip<api::document<api::internal_beta_release>>(v);
        break;
    case 7:
        round_trip<api::document<api::external_beta_release>>(v);
        break;
    case 8:
        round_trip<api::document<api::app_store_release>>(v);
        break;
    default:
        round_trip<api::page<api::resource_identifier>>(v);
        break;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    // The error path sees any body, JSON or not.
    api::api_error error(400 + data[0] % 100, "fuzz_operation", "request-id", body);
    (void)error.what();
    (void)error.code();
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec)
        return 0;
    try {
        decode(data[0], v);
    } catch (const std::exception&) {
        // A typed decode error (or out_of_range from a missing member) is the expected outcome
        // for most inputs.
    }
    return 0;
}
