#include "output.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace ascpp::cli {

namespace json = boost::json;

namespace {

// Display width of UTF-8 text: code points, which is right for the IDs, states and names shown.
std::size_t display_width(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

void pad(std::ostream& out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        out.put(' ');
}

void write_pretty(std::string& out, const json::value& v, int depth) {
    auto newline = [&](int d) {
        out += '\n';
        out.append(static_cast<std::size_t>(d) * 2, ' ');
    };
    if (v.is_object()) {
        const auto& o = v.get_object();
        if (o.empty()) {
            out += "{}";
            return;
        }
        out += '{';
        bool first = true;
        for (const auto& kv : o) {
            if (!first)
                out += ',';
            first = false;
            newline(depth + 1);
            out += json::serialize(json::value(kv.key()));
            out += ": ";
            write_pretty(out, kv.value(), depth + 1);
        }
        newline(depth);
        out += '}';
    } else if (v.is_array()) {
        const auto& a = v.get_array();
        if (a.empty()) {
            out += "[]";
            return;
        }
        out += '[';
        bool first = true;
        for (const auto& e : a) {
            if (!first)
                out += ',';
            first = false;
            newline(depth + 1);
            write_pretty(out, e, depth + 1);
        }
        newline(depth);
        out += ']';
    } else {
        out += json::serialize(v);
    }
}

const json::value* find(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? nullptr : &it->value();
}

const json::object* find_object(const json::object& o, std::string_view key) {
    auto* v = find(o, key);
    return v && v->is_object() ? &v->get_object() : nullptr;
}

std::string scalar_text(const json::value& v) {
    switch (v.kind()) {
    case json::kind::string:
        return std::string(v.get_string());
    case json::kind::bool_:
        return v.get_bool() ? "true" : "false";
    case json::kind::null:
        return "-";
    case json::kind::array: {
        std::string s;
        for (const auto& e : v.get_array()) {
            if (!s.empty())
                s += ',';
            s += scalar_text(e);
        }
        return s.empty() ? "-" : s;
    }
    default:
        return json::serialize(v);
    }
}

std::string text_of(const json::object& resource, std::string_view key) {
    if (key == "id" || key == "type") {
        auto* v = find(resource, key);
        return v ? scalar_text(*v) : "-";
    }
    auto* attrs = find_object(resource, "attributes");
    if (!attrs)
        return "-";
    auto* v = find(*attrs, key);
    if (!v)
        return "-";
    if ((key == "usedBytes" || key == "fileSize") && v->is_number()) {
        auto n = v->to_number<std::int64_t>();
        return n < 0 ? scalar_text(*v) : format_bytes(static_cast<std::uint64_t>(n));
    }
    if (key == "assetDeliveryState")
        return v->is_object() && find(v->get_object(), "state")
                   ? scalar_text(*find(v->get_object(), "state"))
                   : "-";
    return scalar_text(*v);
}

struct column {
    std::string header;
    std::string key;
};

std::vector<column> columns_for(std::string_view type) {
    if (type == "backgroundAssets")
        return {{"ID", "id"},
                {"IDENTIFIER", "assetPackIdentifier"},
                {"ARCHIVED", "archived"},
                {"USED", "usedBytes"},
                {"CREATED", "createdDate"}};
    if (type == "backgroundAssetVersions")
        return {{"ID", "id"},         {"VERSION", "version"},
                {"STATE", "state"},   {"PLATFORMS", "platforms"},
                {"LOCALE", "locale"}, {"CREATED", "createdDate"}};
    if (type == "backgroundAssetUploadFiles")
        return {{"ID", "id"},
                {"TYPE", "assetType"},
                {"NAME", "fileName"},
                {"SIZE", "fileSize"},
                {"STATE", "assetDeliveryState"}};
    if (type.find("Release") != std::string_view::npos)
        return {{"ID", "id"}, {"TYPE", "type"}, {"STATE", "state"}};
    return {{"ID", "id"}, {"TYPE", "type"}};
}

// The id a to-one relationship points at, or nullptr.
const json::string* related_id(const json::object& resource, std::string_view name) {
    auto* rels = find_object(resource, "relationships");
    if (!rels)
        return nullptr;
    auto* rel = find_object(*rels, name);
    if (!rel)
        return nullptr;
    auto* data = find_object(*rel, "data");
    if (!data)
        return nullptr;
    auto* id = find(*data, "id");
    return id && id->is_string() ? &id->get_string() : nullptr;
}

// Lines such as "  error    IMPORT_FAILED: the archive is not an Apple Archive".
void print_state_items(std::ostream& out, const json::object& holder, std::string_view key,
                       std::string_view label) {
    auto* items = find(holder, key);
    if (!items || !items->is_array())
        return;
    for (const auto& item : items->get_array()) {
        if (!item.is_object())
            continue;
        const auto& o = item.get_object();
        auto* code = find(o, "code");
        auto* desc = find(o, "description");
        out << "  " << label;
        pad(out, 9 - std::min<std::size_t>(label.size(), 8));
        out << (code ? scalar_text(*code) : "-");
        if (desc)
            out << ": " << scalar_text(*desc);
        out << '\n';
    }
}

} // namespace

table::table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void table::add_row(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    rows_.push_back(std::move(cells));
}

void table::print(std::ostream& out) const {
    std::vector<std::size_t> widths(headers_.size());
    for (std::size_t i = 0; i < headers_.size(); ++i)
        widths[i] = display_width(headers_[i]);
    for (const auto& row : rows_)
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], display_width(row[i]));
    auto print_row = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
            out << cells[i];
            if (i + 1 < cells.size())
                pad(out, widths[i] - display_width(cells[i]) + 2);
        }
        out << '\n';
    };
    print_row(headers_);
    for (const auto& row : rows_)
        print_row(row);
}

std::string format_bytes(std::uint64_t bytes) {
    if (bytes < 1024)
        return std::to_string(bytes) + " B";
    static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = static_cast<double>(bytes);
    int u = -1;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        ++u;
    }
    // Three significant digits, but never round up into "1024.0 KiB".
    char buf[32];
    if (v >= 99.95)
        std::snprintf(buf, sizeof buf, "%.0f %s", v, units[u]);
    else if (v >= 9.995)
        std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    else
        std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
    return buf;
}

std::string pretty_json(const json::value& v) {
    std::string out;
    write_pretty(out, v, 0);
    out += '\n';
    return out;
}

table resource_table(const json::array& resources) {
    std::string type;
    if (!resources.empty() && resources.front().is_object())
        if (auto* t = find(resources.front().get_object(), "type"); t && t->is_string())
            type = t->get_string();
    auto cols = columns_for(type);
    std::vector<std::string> headers;
    for (const auto& c : cols)
        headers.push_back(c.header);
    table t(std::move(headers));
    for (const auto& r : resources) {
        if (!r.is_object())
            continue;
        std::vector<std::string> cells;
        for (const auto& c : cols)
            cells.push_back(text_of(r.get_object(), c.key));
        t.add_row(std::move(cells));
    }
    return t;
}

void print_resource_details(std::ostream& out, const json::object& resource) {
    auto* type = find(resource, "type");
    std::string type_name = type && type->is_string() ? std::string(type->get_string()) : "";
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& c : columns_for(type_name))
        fields.emplace_back(c.header, text_of(resource, c.key));
    if (type_name == "backgroundAssets") {
        for (auto [label, rel] :
             {std::pair{"APP", "app"}, std::pair{"INTERNAL BETA", "internalBetaVersion"},
              std::pair{"EXTERNAL BETA", "externalBetaVersion"},
              std::pair{"APP STORE", "appStoreVersion"}})
            if (auto* id = related_id(resource, rel))
                fields.emplace_back(label, std::string(*id));
    } else if (type_name == "backgroundAssetVersions") {
        for (auto [label, rel] :
             {std::pair{"ASSET", "backgroundAsset"}, std::pair{"ASSET FILE", "assetFile"},
              std::pair{"MANIFEST FILE", "manifestFile"},
              std::pair{"INTERNAL BETA", "internalBetaRelease"},
              std::pair{"EXTERNAL BETA", "externalBetaRelease"},
              std::pair{"APP STORE", "appStoreRelease"}})
            if (auto* id = related_id(resource, rel))
                fields.emplace_back(label, std::string(*id));
    } else if (type_name == "backgroundAssetUploadFiles") {
        if (auto* attrs = find_object(resource, "attributes")) {
            if (auto* sums = find_object(*attrs, "sourceFileChecksums")) {
                for (auto kind : {"file", "composite"}) {
                    auto* sum = find_object(*sums, kind);
                    if (!sum)
                        continue;
                    auto* hash = find(*sum, "hash");
                    auto* alg = find(*sum, "algorithm");
                    fields.emplace_back(std::string(kind == std::string_view("file")
                                                        ? "FILE CHECKSUM"
                                                        : "COMPOSITE CHECKSUM"),
                                        (alg ? scalar_text(*alg) + " " : std::string()) +
                                            (hash ? scalar_text(*hash) : "-"));
                }
            }
            if (auto* ops = find(*attrs, "uploadOperations"); ops && ops->is_array())
                fields.emplace_back("UPLOAD OPERATIONS", std::to_string(ops->get_array().size()));
        }
    }
    std::size_t width = 0;
    for (const auto& f : fields)
        width = std::max(width, display_width(f.first));
    for (const auto& [label, value] : fields) {
        out << label;
        pad(out, width - display_width(label) + 2);
        out << value << '\n';
    }

    if (auto* attrs = find_object(resource, "attributes")) {
        const json::object* details = nullptr;
        if (type_name == "backgroundAssetVersions")
            details = find_object(*attrs, "stateDetails");
        else if (type_name == "backgroundAssetUploadFiles")
            details = find_object(*attrs, "assetDeliveryState");
        if (details) {
            print_state_items(out, *details, "errors", "error");
            print_state_items(out, *details, "warnings", "warning");
            print_state_items(out, *details, "infos", "info");
        }
    }
}

void printer::list(const json::array& resources, std::string_view empty_message) {
    if (format_ == output_format::json) {
        print_json(json::object{{"data", resources}});
        return;
    }
    if (resources.empty()) {
        out_ << empty_message << '\n';
        return;
    }
    resource_table(resources).print(out_);
}

void printer::single(const json::value& resource) {
    if (format_ == output_format::json) {
        print_json(json::object{{"data", resource}});
        return;
    }
    if (resource.is_object())
        print_resource_details(out_, resource.get_object());
}

void printer::document(const json::value& doc, const table& as_table) {
    if (format_ == output_format::json)
        print_json(doc);
    else
        as_table.print(out_);
}

void printer::print_json(const json::value& doc) {
    out_ << pretty_json(doc);
    out_.flush();
}

} // namespace ascpp::cli
