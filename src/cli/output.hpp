// What commands print on stdout: aligned tables for people, or one JSON document for scripts.
// The JSON shapes are documented in docs/cli.md ("JSON output") and are part of the interface.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::cli {

enum class output_format { table, json };

// Columns sized to their widest cell, separated by two spaces, headers in capitals.
class table {
public:
    explicit table(std::vector<std::string> headers);
    void add_row(std::vector<std::string> cells);
    bool empty() const noexcept { return rows_.empty(); }
    void print(std::ostream& out) const;

private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

// "0 B", "512 B", "1.5 KiB", "300.0 MiB", "2.00 GiB": binary units, three significant digits.
std::string format_bytes(std::uint64_t bytes);

// Indented JSON with a final newline (Boost.JSON 1.81 only serialises compactly).
std::string pretty_json(const boost::json::value& v);

// Rendering of App Store Connect resources given in the API's own JSON shape
// ({type, id, attributes, relationships, links}); columns are chosen by `type`.
table resource_table(const boost::json::array& resources);
// One resource as "FIELD  value" lines, with its state details, errors and checksums.
void print_resource_details(std::ostream& out, const boost::json::object& resource);

// Prints documents in the chosen format. For JSON, each command prints exactly one document.
class printer {
public:
    printer(std::ostream& out, output_format format) : out_(out), format_(format) {}
    output_format format() const noexcept { return format_; }

    // {"data": [resources]} or a table ("No background assets." when empty).
    void list(const boost::json::array& resources, std::string_view empty_message);
    // {"data": resource} or the resource's details.
    void single(const boost::json::value& resource);
    // Any other document: JSON as given, or the table given.
    void document(const boost::json::value& json, const table& as_table);
    void print_json(const boost::json::value& doc);
    std::ostream& stream() noexcept { return out_; }

private:
    std::ostream& out_;
    output_format format_;
};

} // namespace ascpp::cli
