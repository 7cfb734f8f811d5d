#!/usr/bin/env bash
# The README's demo: build ascpp, start the local simulator with a fresh key and CA, publish a
# 256 MiB asset pack with progress, list what it made, stop the simulator.
#   scripts/demo.sh            (run from anywhere; safe to run again)
# ASCPP_DEMO_SIZE (default 256M, any `truncate -s` size) sets the archive size; ASCPP_DEMO_BIN
# (a directory holding ascpp and ascpp-sim) skips the bootstrap and the build; ASCPP_DEMO_DIR
# (default build/demo, emptied first) is where the files go.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

if [ -n "${ASCPP_DEMO_BIN:-}" ]; then
    # Already built elsewhere (e.g. a developer's own build directory): use those programs.
    bin="$ASCPP_DEMO_BIN"
else
    say "Installing what is missing (scripts/bootstrap.sh)"
    scripts/bootstrap.sh

    say "Building the release preset (build/bin)"
    export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
    cmake --preset release
    cmake --build --preset release
    bin="$root/build/bin"
fi

ascpp="$bin/ascpp"
sim="$bin/ascpp-sim"
demo="${ASCPP_DEMO_DIR:-$root/build/demo}" # recreated on every run
app=1234567890
identifier=DemoPack

# A fresh directory each run: the simulator starts empty, so a re-run does the same thing.
rm -rf "$demo"
mkdir -p "$demo/keys"

say "Starting the simulator on loopback with a freshly generated key and CA"
"$sim" --api-address 127.0.0.1 --work-dir "$demo/sim" --generate-key "$demo/keys" \
    --app "$app" --info-file "$demo/sim.json" --version-processing-delay 2s \
    >"$demo/sim.log" 2>&1 &
sim_pid=$!
stop_sim() {
    if kill -0 "$sim_pid" 2>/dev/null; then
        kill -TERM "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
}
trap stop_sim EXIT
trap 'exit 130' INT TERM

# Bounded wait for the simulator to listen (it writes the info file once it does).
for _ in $(seq 1 200); do
    [ -s "$demo/sim.json" ] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$demo/sim.log" >&2; exit 1; }
    sleep 0.05
done
[ -s "$demo/sim.json" ] || { echo "demo: the simulator did not start" >&2; cat "$demo/sim.log" >&2; exit 1; }
cat "$demo/sim.log" >&2

# The configuration a real user would export for Apple's service, pointed at the simulator.
eval "$(/usr/bin/python3 - "$demo/sim.json" <<'PY'
import json, shlex, sys
info = json.load(open(sys.argv[1]))
key = info["keys"][0]
for name, value in [("ASC_API_URL", info["apiUrl"]), ("ASC_CA_FILE", info["caFile"]),
                    ("ASC_KEY_ID", key["keyId"]), ("ASC_ISSUER_ID", key["issuerId"]),
                    ("ASC_PRIVATE_KEY_PATH", key["privateKeyFile"])]:
    print(f"export {name}={shlex.quote(value)}")
PY
)"

say "Making a sample asset pack: ${ASCPP_DEMO_SIZE:-256M} archive (sparse) and its manifest"
truncate -s "${ASCPP_DEMO_SIZE:-256M}" "$demo/$identifier.aar"
printf '{"assetPackID": "%s", "platforms": ["iOS"]}\n' "$identifier" >"$demo/Manifest.json"
ls -lh "$demo/$identifier.aar" "$demo/Manifest.json" >&2

say "ascpp publish --wait --until internal-beta"
"$ascpp" publish --app "$app" --identifier "$identifier" --archive "$demo/$identifier.aar" \
    --manifest "$demo/Manifest.json" --wait --until internal-beta --timeout 10m \
    --journal "$demo/publish.journal"

asset_id=$("$ascpp" assets list --app "$app" --identifier "$identifier" --output json |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
version_id=$("$ascpp" versions list --asset "$asset_id" --sort=-version --output json |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')

say "ascpp assets list --app $app"
"$ascpp" assets list --app "$app"
say "ascpp versions list --asset $asset_id"
"$ascpp" versions list --asset "$asset_id"
say "ascpp files list --version $version_id"
"$ascpp" files list --version "$version_id"
say "ascpp releases get --version $version_id"
"$ascpp" releases get --version "$version_id"

say "Done"
cat >&2 <<EOF
The simulator stops now. To look further:
  - $demo: the archive, the manifest, the simulator's log (sim.log) and key (keys/)
  - $ascpp --help, and --help on every command (e.g. ascpp publish --help)
  - --output json on any command for one JSON document (docs/cli.md)
  - $sim --help: faults (--fault), processing delays, rate limits
  - scripts/test.sh runs the whole test suite
EOF
