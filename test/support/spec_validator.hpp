// Validates JSON against a schema of the spec's components/schemas with an independent
// validator: Debian's python3-jsonschema, through test/conformance/validate.py. One long-lived
// python process per test executable answers over pipes, so hundreds of documents cost little.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ascpp::test {

class spec_validator {
public:
    // Problems found ("path: message"), empty when `document` is valid. `strict` also rejects
    // members a schema does not declare (for bodies we build). Thread-safe. Throws
    // std::runtime_error when the validator process cannot be started.
    static std::vector<std::string> check(std::string_view schema_name,
                                          const boost::json::value& document, bool strict = false);
    // The same for a JSON text (a parse failure is reported as a problem).
    static std::vector<std::string> check_text(std::string_view schema_name, std::string_view json,
                                               bool strict = false);
    // Joins problems into one readable string (for BOOST_TEST messages).
    static std::string describe(const std::vector<std::string>& problems);
};

} // namespace ascpp::test
