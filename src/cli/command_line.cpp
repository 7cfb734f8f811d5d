#include "command_line.hpp"

#include "duration.hpp"
#include "exit_code.hpp"
#include "states.hpp"

#include <CLI/CLI.hpp>
#include <boost/version.hpp>
#include <openssl/opensslv.h>

#include <algorithm>
#include <cctype>
#include <ostream>

#ifndef ASCPP_VERSION
#define ASCPP_VERSION "0.0.0"
#endif

namespace ascpp::cli {

std::string_view channel_name(release_channel c) {
    switch (c) {
    case release_channel::internal_beta:
        return "internal-beta";
    case release_channel::external_beta:
        return "external-beta";
    case release_channel::app_store:
        return "app-store";
    }
    return "?";
}

std::string version_text() {
    return std::string("ascpp ") + ASCPP_VERSION + " (Boost " +
           std::to_string(BOOST_VERSION / 100000) + "." +
           std::to_string(BOOST_VERSION / 100 % 1000) + ", " + OPENSSL_VERSION_TEXT + ")";
}

namespace {

const char* const exit_codes_footer =
    "Exit codes: 0 ok, 1 operation failed, 2 usage or configuration, 3 timed out, 130 "
    "interrupted.";
const char* const config_footer =
    "Configuration (flags win over the environment):\n"
    "  --key-id / ASC_KEY_ID, --issuer-id / ASC_ISSUER_ID (absent for an individual key),\n"
    "  --private-key PATH / ASC_PRIVATE_KEY_PATH (or the PEM in ASC_PRIVATE_KEY),\n"
    "  --api-url / ASC_API_URL, --ca-file / ASC_CA_FILE.\n"
    "Exit codes: 0 ok, 1 operation failed, 2 usage or configuration, 3 timed out, 130 "
    "interrupted.";

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

// Global options, on the root and on every command so each command's --help lists them.
void add_global_options(CLI::App& app, global_options& g, std::string& output_text) {
    const char* group = "Global options";
    app.add_option("--key-id", g.config.key_id, "API key id (ASC_KEY_ID)")
        ->type_name("ID")
        ->group(group);
    app.add_option("--issuer-id", g.config.issuer_id,
                   "Issuer id of a team key (ASC_ISSUER_ID); omit for an individual key")
        ->type_name("ID")
        ->group(group);
    app.add_option("--private-key", g.config.private_key_path,
                   "The .p8 key file (ASC_PRIVATE_KEY_PATH, or the PEM in ASC_PRIVATE_KEY)")
        ->type_name("PATH")
        ->group(group);
    app.add_option("--api-url", g.config.api_url,
                   "Service base URL (ASC_API_URL; default https://api.appstoreconnect.apple.com)")
        ->type_name("URL")
        ->group(group);
    app.add_option("--ca-file", g.config.ca_file,
                   "Extra trusted CA certificate, e.g. the simulator's (ASC_CA_FILE)")
        ->type_name("PATH")
        ->group(group);
    app.add_option("--concurrency", g.concurrency, "Parallel part uploads (1-256, default 8)")
        ->check(CLI::Range(1, 256))
        ->type_name("N")
        ->group(group);
    app.add_option("-o,--output", output_text, "table (default) or json: one JSON document")
        ->check(CLI::IsMember({"table", "json"}))
        ->type_name("FORMAT")
        ->group(group);
    app.add_flag("-v,--verbose", g.verbose, "Say what is being done (never prints secrets)")
        ->group(group);
    app.add_flag("-q,--quiet", g.quiet, "No progress or notices on stderr")->group(group);
}

CLI::Validator state_validator(std::vector<std::string_view> allowed, std::string what) {
    return CLI::Validator(
        [allowed, what](std::string& value) -> std::string {
            value = upper(value);
            if (std::find(allowed.begin(), allowed.end(), value) != allowed.end())
                return {};
            std::string list;
            for (auto a : allowed)
                list += (list.empty() ? "" : ", ") + std::string(a);
            return "'" + value + "' is not a " + what + " state (one of " + list + ")";
        },
        "STATE");
}

// Parses "true"/"false" (and yes/no, 1/0) for --archived.
CLI::Validator bool_text() {
    return CLI::Validator(
        [](std::string& v) -> std::string {
            auto u = upper(v);
            if (u == "TRUE" || u == "YES" || u == "1") {
                v = "true";
                return {};
            }
            if (u == "FALSE" || u == "NO" || u == "0") {
                v = "false";
                return {};
            }
            return "'" + v + "' is not true or false";
        },
        "true|false");
}

const std::map<std::string, release_channel> channels{
    {"internal-beta", release_channel::internal_beta},
    {"external-beta", release_channel::external_beta},
    {"app-store", release_channel::app_store}};

} // namespace

std::variant<invocation, int> parse_command_line(int argc, const char* const* argv,
                                                 std::ostream& out, std::ostream& err) {
    invocation inv;
    auto& a = inv.args;
    std::string output_text = "table";
    std::string archived_text, timeout_text, until_text, channel_text = "internal-beta";
    std::string fallback_text;

    CLI::App app("ascpp: publish and track App Store Connect background asset packs "
                 "(Apple-hosted asset packs).",
                 "ascpp");
    app.set_version_flag("--version", version_text());
    app.require_subcommand(1);
    app.fallthrough();
    app.footer(config_footer);
    add_global_options(app, inv.global, output_text);

    // Leaf commands: each records which command it is when parsed.
    std::vector<std::pair<CLI::App*, command>> leaves;
    auto leaf = [&](CLI::App& parent, std::string name, std::string description, command c) {
        auto* sub = parent.add_subcommand(std::move(name), std::move(description));
        add_global_options(*sub, inv.global, output_text);
        sub->footer(exit_codes_footer);
        leaves.emplace_back(sub, c);
        return sub;
    };
    auto timeout_option = [&](CLI::App* sub, const char* text) {
        sub->add_option("--timeout", timeout_text, text)->type_name("DURATION");
    };
    auto webhook_options = [&](CLI::App* sub, bool listen_only) {
        sub->add_option("--webhook-listen", a.webhook_listen,
                        listen_only ? "Where to listen for App Store Connect webhook deliveries"
                                    : "Listen for App Store Connect webhook deliveries here and "
                                      "wake at once on them; polls become a fallback")
            ->type_name("ADDR:PORT");
        sub->add_option("--webhook-secret-file", a.webhook_secret_file,
                        "File holding the webhook's secret (required with --webhook-listen)")
            ->type_name("PATH")
            ->check(CLI::ExistingFile);
        sub->add_option("--webhook-cert", a.webhook_cert,
                        "TLS certificate chain (PEM) to serve; without it, plain HTTP (only "
                        "behind a TLS-terminating proxy)")
            ->type_name("PATH")
            ->check(CLI::ExistingFile);
        sub->add_option("--webhook-key", a.webhook_key, "The certificate's private key (PEM)")
            ->type_name("PATH")
            ->check(CLI::ExistingFile);
        sub->add_option("--webhook-signature-header", a.webhook_signature_header,
                        "Header holding the signature (default X-Apple-SIGNATURE)")
            ->type_name("NAME");
        sub->add_option("--webhook-signature-prefix", a.webhook_signature_prefix,
                        "What precedes the hex HMAC-SHA256 in it (default hmacsha256=)")
            ->type_name("TEXT");
        if (!listen_only)
            sub->add_option("--webhook-fallback-poll", fallback_text,
                            "Poll this often anyway, for a lost delivery (default 5m)")
                ->type_name("DURATION");
    };

    // assets
    auto* assets = app.add_subcommand("assets", "Background assets (asset packs) of an app");
    assets->require_subcommand(1);
    {
        auto* list = leaf(*assets, "list", "List an app's asset packs", command::assets_list);
        list->add_option("--app", a.app, "App id (numeric)")->type_name("ID")->required();
        list->add_option("--identifier", a.identifier, "Only the pack with this identifier");
        list->add_option("--archived", archived_text,
                         "Only archived (true) or active (false) packs")
            ->type_name("BOOL")
            ->check(bool_text());
        auto* create = leaf(*assets, "create", "Create an asset pack", command::assets_create);
        create->add_option("--app", a.app, "App id (numeric)")->type_name("ID")->required();
        create
            ->add_option("--identifier", a.identifier,
                         "Asset pack identifier (the manifest's assetPackID)")
            ->required();
        auto* get = leaf(*assets, "get", "Show one asset pack", command::assets_get);
        get->add_option("ID", a.id, "Asset pack id")->required();
        auto* archive = leaf(*assets, "archive",
                             "Archive an asset pack (removes its versions from testing and sale)",
                             command::assets_archive);
        archive->add_option("ID", a.id, "Asset pack id")->required();
        auto* unarchive =
            leaf(*assets, "unarchive", "Unarchive an asset pack", command::assets_unarchive);
        unarchive->add_option("ID", a.id, "Asset pack id")->required();
    }

    // versions
    auto* versions = app.add_subcommand("versions", "Versions of an asset pack");
    versions->require_subcommand(1);
    {
        auto* list =
            leaf(*versions, "list", "List an asset pack's versions", command::versions_list);
        list->add_option("--asset", a.asset, "Asset pack id")->type_name("ID")->required();
        list->add_option("--state", a.states, "Only versions in these states (comma-separated)")
            ->delimiter(',')
            ->type_name("STATE,...")
            ->transform(state_validator(version_states, "version"));
        list->add_option("--sort", a.sort, "version or -version (write --sort=-version)")
            ->check(CLI::IsMember({"version", "-version"}));
        auto* create = leaf(*versions, "create", "Create the next version of an asset pack",
                            command::versions_create);
        create->add_option("--asset", a.asset, "Asset pack id")->type_name("ID")->required();
        auto* get = leaf(*versions, "get", "Show one version", command::versions_get);
        get->add_option("ID", a.id, "Version id")->required();
    }

    // files
    auto* files = app.add_subcommand("files", "Upload files of a version");
    files->require_subcommand(1);
    {
        auto* list = leaf(*files, "list", "List a version's upload files", command::files_list);
        list->add_option("--version", a.version, "Version id")->type_name("ID")->required();
        auto* get = leaf(*files, "get", "Show one upload file", command::files_get);
        get->add_option("ID", a.id, "Upload file id")->required();
    }

    // upload
    {
        auto* up = leaf(app, "upload", "Reserve, upload and commit one file of a version",
                        command::upload);
        up->add_option("--version", a.version, "Version id")->type_name("ID")->required();
        up->add_option("--type", a.asset_type, "ASSET (the archive) or MANIFEST")
            ->required()
            ->transform([](std::string v) { return upper(v); })
            ->check(CLI::IsMember({"ASSET", "MANIFEST"}));
        up->add_option("FILE", a.file, "The file to upload")->required()->check(CLI::ExistingFile);
        up->add_option("--journal", a.journal,
                       "Resume journal: an interrupted upload run again with it sends only what "
                       "is missing")
            ->type_name("PATH");
    }

    // publish
    {
        auto* pub = leaf(app, "publish",
                         "Publish an asset pack: find or create it, create a version, upload its "
                         "files, optionally wait",
                         command::publish);
        pub->add_option("--app", a.app, "App id (numeric)")->type_name("ID")->required();
        pub->add_option("--identifier", a.identifier, "Asset pack identifier")->required();
        pub->add_option("--archive", a.archive, "The asset pack archive (.aar)")
            ->type_name("PATH")
            ->required()
            ->check(CLI::ExistingFile);
        pub->add_option("--manifest", a.manifest, "The manifest (Manifest.json), uploaded first")
            ->type_name("PATH")
            ->check(CLI::ExistingFile);
        pub->add_flag("--wait", a.wait, "Wait until the version has been processed");
        pub->add_option("--until", until_text,
                        "Also wait for this release to be ready: internal-beta, external-beta "
                        "or app-store (implies --wait)")
            ->type_name("CHANNEL")
            ->check(CLI::IsMember({"internal-beta", "external-beta", "app-store"}));
        timeout_option(pub, "Give up after this long, e.g. 30m or 1h30m (exit code 3)");
        pub->add_option("--journal", a.journal,
                        "Resume journal: an interrupted publish run again with it continues")
            ->type_name("PATH");
        pub->add_flag("--force", a.force,
                      "Publish even when the newest COMPLETE or PROCESSING version already has "
                      "the same archive and manifest");
        webhook_options(pub, false);
    }

    // wait
    auto* wait = app.add_subcommand("wait", "Wait for a version, upload file or release state");
    wait->require_subcommand(1);
    {
        auto* v = leaf(*wait, "version", "Wait for a version's state (default COMPLETE)",
                       command::wait_version);
        v->add_option("ID", a.id, "Version id")->required();
        v->add_option("--state", a.states, "Target states (comma-separated)")
            ->delimiter(',')
            ->type_name("STATE,...")
            ->transform(state_validator(version_states, "version"));
        timeout_option(v, "Give up after this long (exit code 3)");
        webhook_options(v, false);

        auto* f = leaf(*wait, "file", "Wait for an upload file's delivery state (default COMPLETE)",
                       command::wait_file);
        f->add_option("ID", a.id, "Upload file id")->required();
        f->add_option("--state", a.states, "Target states (comma-separated)")
            ->delimiter(',')
            ->type_name("STATE,...")
            ->transform(state_validator(upload_file_states, "upload file"));
        timeout_option(f, "Give up after this long (exit code 3)");
        webhook_options(f, false);

        auto* r = leaf(*wait, "release",
                       "Wait for a release's state (default READY_FOR_TESTING, or "
                       "READY_FOR_DISTRIBUTION for app-store)",
                       command::wait_release);
        r->add_option("ID", a.id, "Release id (see: ascpp releases get --version ID)")->required();
        r->add_option("--channel", channel_text,
                      "internal-beta (default), external-beta, app-store")
            ->type_name("CHANNEL")
            ->check(CLI::IsMember({"internal-beta", "external-beta", "app-store"}));
        r->add_option("--state", a.states, "Target states (comma-separated)")
            ->delimiter(',')
            ->type_name("STATE,...")
            ->transform(state_validator(all_release_states, "release"));
        timeout_option(r, "Give up after this long (exit code 3)");
        webhook_options(r, false);
    }

    // releases
    auto* releases = app.add_subcommand("releases", "Release states of a version");
    releases->require_subcommand(1);
    {
        auto* get = leaf(*releases, "get",
                         "The internal beta, external beta and App Store releases of a version",
                         command::releases_get);
        get->add_option("--version", a.version, "Version id")->type_name("ID")->required();
    }

    // batch
    {
        auto* b = leaf(app, "batch", "Publish every asset pack a JSON or YAML file lists",
                       command::batch);
        b->add_option("FILE", a.file, "The batch file")->required()->check(CLI::ExistingFile);
        b->add_flag("--wait", a.wait, "Wait until each version has been processed");
        b->add_option("--journal", a.journal,
                      "Directory of resume journals, one per pack: an interrupted batch run "
                      "again with it continues")
            ->type_name("DIR");
        b->add_flag("--force", a.force, "Publish every pack, even those that did not change");
        timeout_option(b, "Give up after this long (exit code 3)");
        webhook_options(b, false);
    }

    // webhook
    auto* webhook = app.add_subcommand("webhook", "App Store Connect webhook deliveries");
    webhook->require_subcommand(1);
    {
        auto* listen = leaf(*webhook, "listen",
                            "Receive webhook deliveries and print each verified event as a JSON "
                            "line, until interrupted",
                            command::webhook_listen);
        webhook_options(listen, true);
        timeout_option(listen, "Stop after this long");
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e, out, err);
    } catch (const CLI::ParseError& e) {
        // Name the command whose usage to read.
        std::string where = "ascpp";
        const CLI::App* deepest = &app;
        while (!deepest->get_subcommands().empty()) {
            deepest = deepest->get_subcommands().front();
            where += " " + deepest->get_name();
        }
        std::string message = e.what();
        // CLI11 reports an unknown command word as a missing subcommand; say what it was.
        // Unmatched words fall through to the root, so look there too.
        auto rest = deepest->remaining();
        if (rest.empty())
            rest = app.remaining();
        if (dynamic_cast<const CLI::RequiredError*>(&e) && !rest.empty() &&
            !deepest->get_subcommands({}).empty() && !rest.front().starts_with("-")) {
            std::string choices;
            for (const auto* sub : deepest->get_subcommands({}))
                choices += (choices.empty() ? "" : ", ") + sub->get_name();
            message = "'" + rest.front() + "' is not a command of '" + where +
                      "' (commands: " + choices + ")";
        }
        err << "ascpp: " << message << "\nRun '" << where << " --help' for usage.\n";
        return static_cast<int>(exit_code::usage);
    }

    for (auto& [sub, c] : leaves)
        if (sub->parsed())
            inv.cmd = c;

    try {
        inv.global.output = output_text == "json" ? output_format::json : output_format::table;
        if (!archived_text.empty())
            a.archived = archived_text == "true";
        if (!timeout_text.empty()) {
            a.timeout = parse_duration(timeout_text, "--timeout");
            if (a.timeout->count() <= 0)
                throw usage_error("--timeout: must be longer than 0s");
        }
        if (!until_text.empty()) {
            a.until = channels.at(until_text);
            a.wait = true;
        }
        a.channel = channels.at(channel_text);
        if (inv.cmd == command::wait_release && !a.states.empty()) {
            auto allowed = release_states(a.channel);
            for (const auto& s : a.states)
                if (std::find(allowed.begin(), allowed.end(), s) == allowed.end())
                    throw usage_error("--state: '" + s + "' is not a state of " +
                                      std::string(channel_name(a.channel)) + " releases");
        }
        if (!fallback_text.empty()) {
            a.webhook_fallback_poll = parse_duration(fallback_text, "--webhook-fallback-poll");
            if (a.webhook_fallback_poll.count() <= 0)
                throw usage_error("--webhook-fallback-poll: must be longer than 0s");
        }
        if (inv.cmd == command::webhook_listen && !a.webhook_listen)
            throw usage_error("webhook listen: --webhook-listen ADDR:PORT is required");
        if (a.webhook_listen && !a.webhook_secret_file)
            throw usage_error("--webhook-listen needs --webhook-secret-file");
        if (!a.webhook_listen &&
            (a.webhook_secret_file || a.webhook_cert || a.webhook_key || !fallback_text.empty()))
            throw usage_error("the --webhook-* options need --webhook-listen ADDR:PORT");
        if (a.webhook_cert.has_value() != a.webhook_key.has_value())
            throw usage_error("--webhook-cert and --webhook-key go together");
        if (a.webhook_listen) {
            auto colon = a.webhook_listen->rfind(':');
            if (colon == std::string::npos || colon == 0 || colon + 1 == a.webhook_listen->size())
                throw usage_error("--webhook-listen: '" + *a.webhook_listen +
                                  "' is not ADDR:PORT (e.g. 0.0.0.0:8443)");
        }
        if (inv.global.quiet && inv.global.verbose)
            throw usage_error("--quiet and --verbose contradict each other");
    } catch (const usage_error& e) {
        err << "ascpp: " << e.what() << '\n';
        return static_cast<int>(exit_code::usage);
    }
    return inv;
}

} // namespace ascpp::cli
