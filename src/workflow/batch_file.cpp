// Batch files: the JSON and YAML-subset formats of batch.hpp, read into checked entries.
#include <ascpp/workflow/batch.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <system_error>

namespace ascpp::workflow {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// A batch file is a list of paths and names: anything larger is a mistake (or an attack).
constexpr std::uintmax_t max_batch_file_bytes = 16 * 1024 * 1024;

[[noreturn]] void fail(std::string_view name, const std::string& problem) {
    throw batch_file_error(std::string(name) + ": " + problem);
}

// ---------------------------------------------------------------------------------------------
// The YAML subset of batch files: block mappings and block sequences by indentation, plain and
// quoted scalars, comments. Anything else (flow collections, anchors, tags, block scalars,
// several documents) is refused with its line number rather than misread.

struct yaml_line {
    int number = 0;
    std::size_t indent = 0;
    std::string text; // without indentation, comment and trailing blanks
};

class yaml_reader {
public:
    yaml_reader(std::string_view text, std::string_view name) : name_(name) { split(text); }

    json::value parse() {
        if (lines_.empty())
            fail(name_, "the file is empty");
        auto v = parse_node(lines_.front().indent);
        if (pos_ < lines_.size())
            error(lines_[pos_], "unexpected indentation");
        return v;
    }

private:
    std::string_view name_;
    std::vector<yaml_line> lines_;
    std::size_t pos_ = 0;

    [[noreturn]] void error(const yaml_line& l, const std::string& problem) const {
        fail(name_, "line " + std::to_string(l.number) + ": " + problem);
    }

    // Where a comment starts ('#' at the start or after a blank, outside quotes), or npos.
    static std::size_t comment_start(std::string_view s) {
        char quote = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            char c = s[i];
            if (quote == '"' && c == '\\') {
                ++i;
                continue;
            }
            if (quote) {
                if (c == quote)
                    quote = 0;
                continue;
            }
            // A quote opens a quoted scalar only where one can start: after ": ", "- " or at
            // the start; elsewhere (it's) it is part of a plain scalar.
            if ((c == '"' || c == '\'') &&
                (i == 0 || s[i - 1] == ' ' || s[i - 1] == '-' || s[i - 1] == ':'))
                quote = c;
            else if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t'))
                return i;
        }
        return std::string_view::npos;
    }

    void split(std::string_view text) {
        int number = 0;
        bool document_started = false;
        while (!text.empty()) {
            auto nl = text.find('\n');
            std::string_view raw = text.substr(0, nl);
            text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
            ++number;
            if (!raw.empty() && raw.back() == '\r')
                raw.remove_suffix(1);
            if (number == 1 && raw.starts_with("\xEF\xBB\xBF"))
                raw.remove_prefix(3);
            std::size_t indent = 0;
            while (indent < raw.size() && raw[indent] == ' ')
                ++indent;
            std::string_view rest = raw.substr(indent);
            if (auto c = comment_start(rest); c != std::string_view::npos)
                rest = rest.substr(0, c);
            while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t'))
                rest.remove_suffix(1);
            if (rest.empty())
                continue;
            yaml_line l{number, indent, std::string(rest)};
            if (rest.front() == '\t')
                error(l, "tabs cannot indent YAML");
            if (indent == 0 && (rest == "---" || rest.starts_with("--- "))) {
                if (document_started || !lines_.empty())
                    error(l, "only one YAML document is supported");
                document_started = true;
                if (rest.size() > 3)
                    error(l, "content after '---' is not supported");
                continue;
            }
            if (indent == 0 && rest == "...")
                break;
            if (rest.front() == '%')
                error(l, "YAML directives are not supported");
            lines_.push_back(std::move(l));
        }
    }

    static bool is_item(std::string_view t) { return t == "-" || t.starts_with("- "); }

    json::value parse_node(std::size_t indent) {
        if (is_item(lines_[pos_].text))
            return parse_sequence(indent);
        return parse_mapping(indent);
    }

    // The value of a key or item whose text ended after the indicator: the block below it (more
    // indented; a sequence may also sit at the key's own indentation), or null.
    json::value nested(std::size_t indent, bool sequence_may_align) {
        if (pos_ < lines_.size()) {
            const auto& next = lines_[pos_];
            if (next.indent > indent)
                return parse_node(next.indent);
            if (sequence_may_align && next.indent == indent && is_item(next.text))
                return parse_sequence(indent);
        }
        return nullptr;
    }

    json::value parse_sequence(std::size_t indent) {
        json::array out;
        while (pos_ < lines_.size() && lines_[pos_].indent == indent) {
            auto& l = lines_[pos_];
            if (!is_item(l.text))
                error(l, "expected a list item ('- ...') at this indentation");
            std::size_t skip = 1;
            while (skip < l.text.size() && l.text[skip] == ' ')
                ++skip;
            if (skip == l.text.size()) {
                ++pos_;
                out.push_back(nested(indent, false));
                continue;
            }
            // "- key: value" opens a mapping whose keys line up with "key".
            l.text.erase(0, skip);
            l.indent = indent + skip;
            if (is_item(l.text) || find_colon(l.text) != std::string::npos)
                out.push_back(parse_node(l.indent));
            else {
                out.emplace_back(json::string(scalar(l, l.text)));
                ++pos_;
            }
        }
        if (pos_ < lines_.size() && lines_[pos_].indent > indent)
            error(lines_[pos_], "unexpected indentation");
        return out;
    }

    // The ':' that ends a key (followed by a blank or the end), outside quotes; npos if none.
    static std::size_t find_colon(std::string_view t) {
        std::size_t i = 0;
        if (!t.empty() && (t[0] == '"' || t[0] == '\'')) {
            char q = t[0];
            for (i = 1; i < t.size(); ++i) {
                if (q == '"' && t[i] == '\\')
                    ++i;
                else if (t[i] == q) {
                    if (q == '\'' && i + 1 < t.size() && t[i + 1] == '\'') {
                        ++i;
                        continue;
                    }
                    break;
                }
            }
            ++i;
        }
        for (; i < t.size(); ++i)
            if (t[i] == ':' && (i + 1 == t.size() || t[i + 1] == ' '))
                return i;
        return std::string_view::npos;
    }

    json::value parse_mapping(std::size_t indent) {
        json::object out;
        while (pos_ < lines_.size() && lines_[pos_].indent == indent) {
            const auto l = lines_[pos_];
            if (is_item(l.text))
                error(l, "a list item where a 'key: value' was expected");
            auto colon = find_colon(l.text);
            if (colon == std::string::npos)
                error(l, "expected 'key: value'");
            std::string_view text = l.text;
            std::string key = scalar(l, text.substr(0, colon));
            if (key.empty())
                error(l, "empty key");
            if (out.contains(key))
                error(l, "key '" + key + "' repeated");
            std::string_view value = text.substr(colon + 1);
            while (!value.empty() && value.front() == ' ')
                value.remove_prefix(1);
            ++pos_;
            if (value.empty())
                out[key] = nested(indent, true);
            else
                out[key] = json::string(scalar(l, value));
        }
        if (pos_ < lines_.size() && lines_[pos_].indent > indent)
            error(lines_[pos_], "unexpected indentation");
        return out;
    }

    std::string scalar(const yaml_line& l, std::string_view s) const {
        while (!s.empty() && s.back() == ' ')
            s.remove_suffix(1);
        if (s.empty())
            return {};
        const char first = s.front();
        if (first == '"')
            return double_quoted(l, s);
        if (first == '\'') {
            std::string out;
            std::size_t i = 1;
            for (; i < s.size(); ++i) {
                if (s[i] == '\'') {
                    if (i + 1 < s.size() && s[i + 1] == '\'') {
                        out.push_back('\'');
                        ++i;
                        continue;
                    }
                    break;
                }
                out.push_back(s[i]);
            }
            if (i >= s.size())
                error(l, "unterminated quoted value");
            if (i + 1 != s.size())
                error(l, "text after a quoted value");
            return out;
        }
        if (first == '[' || first == '{')
            error(l, "flow collections ([...], {...}) are not supported; use block style");
        if (first == '&' || first == '*' || first == '!')
            error(l, "anchors, aliases and tags are not supported");
        if (first == '|' || first == '>')
            error(l, "block scalars are not supported");
        if (s.find(": ") != std::string_view::npos)
            error(l, "a plain value cannot contain ': ' (quote it)");
        return std::string(s);
    }

    std::string double_quoted(const yaml_line& l, std::string_view s) const {
        std::string out;
        std::size_t i = 1;
        for (; i < s.size() && s[i] != '"'; ++i) {
            if (s[i] != '\\') {
                out.push_back(s[i]);
                continue;
            }
            if (++i == s.size())
                break;
            switch (s[i]) {
            case '"':
                out.push_back('"');
                break;
            case '\\':
                out.push_back('\\');
                break;
            case '/':
                out.push_back('/');
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 't':
                out.push_back('\t');
                break;
            case ' ':
                out.push_back(' ');
                break;
            default:
                error(l, std::string("unsupported escape '\\") + s[i] + "'");
            }
        }
        if (i >= s.size())
            error(l, "unterminated quoted value");
        if (i + 1 != s.size())
            error(l, "text after a quoted value");
        return out;
    }
};

json::value parse_json(std::string_view text, std::string_view name) {
    json::stream_parser p;
    boost::system::error_code ec;
    std::size_t used = p.write(text.data(), text.size(), ec);
    if (!ec)
        p.finish(ec);
    if (ec) {
        // Line and column of the failure, so the user can find it.
        used = std::min(used, text.size());
        auto before = text.substr(0, used);
        auto line = 1 + std::count(before.begin(), before.end(), '\n');
        auto nl = before.rfind('\n');
        auto column = used - (nl == std::string_view::npos ? 0 : nl + 1) + 1;
        fail(name, "invalid JSON at line " + std::to_string(line) + ", column " +
                       std::to_string(column) + ": " + ec.message());
    }
    return p.release();
}

// ---------------------------------------------------------------------------------------------
// Entries

std::string entry_label(std::size_t index, const json::object* pack) {
    std::string label = "entry " + std::to_string(index + 1);
    if (pack)
        if (auto* id = pack->if_contains("identifier"); id && id->is_string())
            label += " (" + std::string(id->as_string()) + ")";
    return label;
}

bool is_app_id(std::string_view s) {
    return !s.empty() && s.size() <= 32 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A string member, an integer taken as its decimal text (JSON app ids), or nullopt if absent.
std::optional<std::string> text_member(const json::object& o, std::string_view key,
                                       const std::function<void(const std::string&)>& error) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null())
        return std::nullopt;
    if (v->is_string())
        return std::string(v->as_string());
    if (key == "app" && (v->is_int64() || v->is_uint64()))
        return json::serialize(*v);
    error("'" + std::string(key) + "' must be a string");
    return std::nullopt; // not reached: error throws
}

struct path_checker {
    fs::path base;           // absolute, normalized
    fs::path base_canonical; // symlinks resolved
    batch_file_options options;

    fs::path check(const std::string& given, const std::string& what,
                   const std::function<void(const std::string&)>& error) const {
        if (given.empty())
            error(what + " is empty");
        if (given.find('\0') != std::string::npos)
            error(what + " contains a NUL character");
        fs::path p(given);
        fs::path resolved = (p.is_absolute() ? p : base / p).lexically_normal();
        if (!options.allow_paths_outside) {
            auto rel = resolved.lexically_relative(base);
            if (p.is_absolute() || rel.empty() || *rel.begin() == "..")
                error(what + " '" + given + "' leads outside " + base.string() +
                      " (allow_paths_outside accepts it)");
        }
        std::error_code ec;
        auto status = fs::status(resolved, ec);
        if (ec || !fs::exists(status))
            error(what + " '" + given + "' does not exist (" + resolved.string() + ")");
        if (!fs::is_regular_file(status))
            error(what + " '" + given + "' is not a regular file");
        if (!options.allow_paths_outside) {
            // A symbolic link inside the tree may still point out of it.
            auto canonical = fs::canonical(resolved, ec);
            auto rel = ec ? fs::path() : canonical.lexically_relative(base_canonical);
            if (ec || rel.empty() || *rel.begin() == "..")
                error(what + " '" + given + "' leads outside " + base.string() +
                      " through a symbolic link (allow_paths_outside accepts it)");
        }
        return resolved;
    }
};

std::vector<batch_entry> entries_from(const json::value& doc, const fs::path& base_dir,
                                      std::string_view name, batch_file_options options) {
    std::optional<std::string> default_app;
    const json::array* packs = nullptr;
    if (doc.is_array()) {
        packs = &doc.as_array();
    } else if (doc.is_object()) {
        const auto& top = doc.as_object();
        auto top_error = [&](const std::string& problem) { fail(name, problem); };
        for (const auto& kv : top)
            if (kv.key() != "app" && kv.key() != "packs")
                fail(name, "unknown key '" + std::string(kv.key()) +
                               "' at the top (expected 'app' and 'packs')");
        default_app = text_member(top, "app", top_error);
        if (default_app && !is_app_id(*default_app))
            fail(name, "app '" + *default_app + "' is not an app id (digits)");
        auto* p = top.if_contains("packs");
        if (!p || p->is_null())
            fail(name, "no 'packs' list");
        if (!p->is_array())
            fail(name, "'packs' must be a list");
        packs = &p->as_array();
    } else {
        fail(name, "expected a mapping with 'app' and 'packs', or a list of packs");
    }
    if (packs->empty())
        fail(name, "the list of packs is empty");

    std::error_code ec;
    path_checker paths;
    paths.base = fs::absolute(base_dir.empty() ? fs::path(".") : base_dir, ec).lexically_normal();
    if (ec)
        fail(name, "cannot resolve directory " + base_dir.string() + ": " + ec.message());
    if (paths.base.has_filename() == false && paths.base.has_parent_path() &&
        paths.base != paths.base.root_path())
        paths.base = paths.base.parent_path(); // drop a trailing separator
    paths.base_canonical = fs::weakly_canonical(paths.base, ec);
    if (ec)
        paths.base_canonical = paths.base;
    paths.options = options;

    std::vector<batch_entry> out;
    out.reserve(packs->size());
    std::map<std::pair<std::string, std::string>, std::size_t> seen;
    for (std::size_t i = 0; i < packs->size(); ++i) {
        const auto& v = (*packs)[i];
        const json::object* pack = v.is_object() ? &v.as_object() : nullptr;
        const auto label = entry_label(i, pack);
        auto error = [&](const std::string& problem) { fail(name, label + ": " + problem); };
        if (!pack)
            error("expected a mapping with 'identifier' and 'asset'");
        for (const auto& kv : *pack)
            if (kv.key() != "identifier" && kv.key() != "asset" && kv.key() != "manifest" &&
                kv.key() != "app")
                error("unknown key '" + std::string(kv.key()) +
                      "' (expected identifier, asset, manifest, app)");
        batch_entry e;
        auto app = text_member(*pack, "app", error);
        if (!app)
            app = default_app;
        if (!app)
            error("no app (give 'app' in the entry or at the top)");
        if (!is_app_id(*app))
            error("app '" + *app + "' is not an app id (digits)");
        e.app_id = *app;
        auto id = text_member(*pack, "identifier", error);
        if (!id || id->empty())
            error("no 'identifier'");
        if (std::any_of(id->begin(), id->end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
            error("the identifier contains control characters");
        e.asset_pack_identifier = *id;
        auto asset = text_member(*pack, "asset", error);
        if (!asset)
            error("no 'asset'");
        e.asset = paths.check(*asset, "asset", error);
        if (auto manifest = text_member(*pack, "manifest", error))
            e.manifest = paths.check(*manifest, "manifest", error);
        auto [it, inserted] = seen.emplace(std::pair(e.app_id, e.asset_pack_identifier), i);
        if (!inserted)
            error("asset pack '" + e.asset_pack_identifier + "' of app " + e.app_id +
                  " is already entry " + std::to_string(it->second + 1));
        out.push_back(std::move(e));
    }
    return out;
}

bool has_extension(const fs::path& p, std::initializer_list<std::string_view> exts) {
    auto ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return std::find(exts.begin(), exts.end(), ext) != exts.end();
}

json::value parse_document(std::string_view text, std::string_view name, bool yaml) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
        text.remove_prefix(3);
    // JSON is YAML too: text that starts like JSON is read as JSON, whatever the file's name
    // (the YAML subset has no flow collections).
    auto first = text.find_first_not_of(" \t\r\n");
    bool looks_like_json =
        first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
    if (!yaml || looks_like_json)
        return parse_json(text, name);
    return yaml_reader(text, name).parse();
}

} // namespace

std::vector<batch_entry> parse_batch(std::string_view text, const fs::path& base_dir,
                                     std::string_view name, batch_file_options options) {
    const fs::path n(name);
    // A .json file is JSON; anything else is YAML unless it starts like JSON.
    const bool yaml = !has_extension(n, {".json"});
    return entries_from(parse_document(text, name, yaml), base_dir, name, options);
}

std::vector<batch_entry> load_batch_file(const fs::path& file, batch_file_options options) {
    const auto name = file.string();
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    if (ec)
        fail(name, "cannot read: " + ec.message());
    if (size > max_batch_file_bytes)
        fail(name, "too large for a batch file (" + std::to_string(size) + " bytes)");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        fail(name, "cannot open");
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    auto base = fs::absolute(file, ec).parent_path();
    return parse_batch(text, base, name, options);
}

} // namespace ascpp::workflow
