// The upload host: presigned-style part URLs on a second origin. Each part's bytes are digested
// as they arrive (MD5 for its ETag and the composite checksum) and folded into the whole-file
// MD5 and SHA-256 in part order; a part that arrives ahead of that order waits on disk until the
// digests reach it. Memory stays bounded whatever the file size.
#pragma once

#include "http_server.hpp"

#include <string>

namespace ascpp::sim {

// Serves part PUTs on one connection until it closes.
asio::awaitable<void> serve_upload_connection(service& svc, tls_stream& stream);

// After a commit: completes the whole-file digests, then, once the processing delay has passed,
// settles the file COMPLETE or FAILED (and its version, for an ASSET). Call without the lock.
void start_file_processing(service& svc, const std::string& file_id);

} // namespace ascpp::sim
