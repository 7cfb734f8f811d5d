#!/usr/bin/env bash
# Soak: batches of asset packs published through ascpp-sim with every fault kind switched on, and
# the simulator killed (SIGKILL) and restarted mid-batch. Bounded in time.
#   scripts/soak.sh [--minutes N] [--packs N]      (default 10 minutes, 8 packs per batch)
# ASCPP_SOAK_BIN=dir uses programs built elsewhere (default: build the release preset).
# Prints packs attempted, completed and failed (with reasons), bytes sent against bytes needed,
# checksum mismatches and duplicate versions (both must be 0), and the simulator's and ascpp's
# memory and file descriptors at the start and end. Exits 1 when an invariant is broken.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
minutes=10
packs=8
while [ $# -gt 0 ]; do
    case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --packs) packs="$2"; shift 2 ;;
    *) echo "usage: scripts/soak.sh [--minutes N] [--packs N]" >&2; exit 2 ;;
    esac
done

scripts/bootstrap.sh
bin="${ASCPP_SOAK_BIN:-}"
if [ -z "$bin" ]; then
    export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
    cmake --preset release >/dev/null
    cmake --build --preset release --target ascpp_tool ascpp-sim
    bin="$root/build/bin"
fi
py=/usr/bin/python3

work="$root/build/soak"
rm -rf "$work"
mkdir -p "$work/tls" "$work/packs" "$work/journals"
cd "$work"

# One CA, certificates and API key for the whole soak, so a restarted simulator is the same
# service to the client.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=ascpp soak CA" \
    -keyout tls/ca.key -out tls/ca.pem 2>/dev/null
for host in api upload; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$host" \
        -keyout "tls/$host.key" -out "tls/$host.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost\n' >"tls/$host.ext"
    openssl x509 -req -in "tls/$host.csr" -CA tls/ca.pem -CAkey tls/ca.key -CAcreateserial -days 2 \
        -extfile "tls/$host.ext" -out "tls/$host.pem" 2>/dev/null
done
key_id=SOAK000001
issuer=6e1b3a52-0c5e-4d0e-9a44-5f1d2a7c9b10
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "tls/AuthKey_$key_id.p8" 2>/dev/null
openssl pkey -in "tls/AuthKey_$key_id.p8" -pubout -out tls/key.pub.pem

# Pack files of assorted sizes; doomed.aar is made to fail processing.
sizes=(3 7 12 20 33)
for i in "${!sizes[@]}"; do
    head -c "$((sizes[i] * 1024 * 1024 + i * 4099))" /dev/urandom >"packs/pack$i.aar"
done
head -c $((2 * 1024 * 1024)) /dev/urandom >packs/doomed.aar

faults=(
    --fault '*:http_error:0.03:503' --fault '*:http_error:0.02:429' --fault '*:http_error:0.01:500'
    --fault '*:latency:0.05:150ms'
    --fault 'upload_part:http_error:0.04:500' --fault 'upload_part:drop_connection:0.02'
    --fault 'upload_part:stall:0.01:2s' --fault 'upload_part:expire_upload_url:0.02'
    --fault '*:fail_processing:1:doomed.aar'
)
sim_pid=
api_port=0
upload_port=0
start_sim() {
    rm -f sim.json
    "$bin/ascpp-sim" --api-port "$api_port" --upload-port "$upload_port" \
        --tls-cert tls/api.pem --tls-key tls/api.key --upload-tls-cert tls/upload.pem \
        --upload-tls-key tls/upload.key --ca-file tls/ca.pem \
        --accept-key "$key_id,$issuer,tls/key.pub.pem" --part-size 1MiB --seed "$RANDOM" \
        --version-processing-delay 300ms "${faults[@]}" --info-file sim.json >>sim.log 2>&1 &
    sim_pid=$!
    for _ in $(seq 100); do [ -s sim.json ] && break; sleep 0.1; done
    [ -s sim.json ] || { echo "soak: ascpp-sim did not start" >&2; cat sim.log >&2; exit 1; }
}
stop_sim() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true; }
trap stop_sim EXIT
field() { $py -c "import json,sys; print(json.load(open('$1'))$2)"; }
start_sim
api_url=$(field sim.json "['apiUrl']")
control=$(field sim.json "['controlUrl']")
api_port=${api_url##*:}
upload_url=$(field sim.json "['uploadUrl']")
upload_port=$(echo "$upload_url" | sed -E 's#.*:([0-9]+).*#\1#')
proc_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
proc_rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
sim_stats() { curl -s --cacert tls/ca.pem "$control/stats"; }

export ASC_KEY_ID=$key_id ASC_ISSUER_ID=$issuer ASC_PRIVATE_KEY_PATH="$work/tls/AuthKey_$key_id.p8"
export ASC_API_URL=$api_url ASC_CA_FILE="$work/tls/ca.pem"

sleep 0.5
sim_fds_start=$(proc_fds "$sim_pid")
sim_rss_start=$(proc_rss_kib "$sim_pid")
deadline=$(($(date +%s) + minutes * 60))
mismatches=0
batch=0
: >results.jsonl
echo "soak: $minutes min, $packs packs per batch, simulator $api_url (pid $sim_pid)"
while [ "$(date +%s)" -lt "$deadline" ]; do
    batch=$((batch + 1))
    $py - "$batch" "$packs" >"batch$batch.json" <<'EOF'
import json, sys
b, n = int(sys.argv[1]), int(sys.argv[2])
packs = [{"identifier": f"soak-{b}-{j}", "asset": f"packs/pack{j % 5}.aar"} for j in range(n - 1)]
packs.append({"identifier": f"soak-{b}-doomed", "asset": "packs/doomed.aar"})
print(json.dumps({"app": "1234567890", "packs": packs}))
EOF
    restart=0
    if [ $((batch % 3)) -eq 0 ]; then
        restart=1
        # Kill the simulator while the batch is uploading; it comes back on the same ports, with
        # the same CA and key, but (like a service that lost its state) without the packs.
        (sleep 2; mismatch_now=$(sim_stats | $py -c 'import json,sys; print(json.load(sys.stdin)["checksums"]["mismatched"])' 2>/dev/null || echo 0)
         echo "$mismatch_now" >mismatch-before-kill; kill -9 "$sim_pid" 2>/dev/null || true) &
        killer=$!
    fi
    for attempt in 1 2; do
        set +e
        /usr/bin/time -f '%M' -o "rss$batch.$attempt" "$bin/ascpp" batch "batch$batch.json" --wait \
            --journal journals --timeout 4m --concurrency 8 --output json --quiet \
            >"out$batch.$attempt.json" 2>"err$batch.$attempt.txt"
        rc=$?
        set -e
        if [ "$restart" = 1 ] && [ "$attempt" = 1 ]; then
            wait "$killer" || true
            mismatches=$((mismatches + $(cat mismatch-before-kill 2>/dev/null || echo 0)))
            wait "$sim_pid" 2>/dev/null || true
            start_sim
        fi
        echo "{\"batch\": $batch, \"attempt\": $attempt, \"rc\": $rc, \"restart\": $restart, \"rss_kib\": $(tail -1 "rss$batch.$attempt" 2>/dev/null || echo 0), \"file\": \"out$batch.$attempt.json\"}" >>results.jsonl
        # A batch hit by the restart is run again, as an operator would; the journals resume it.
        [ "$restart" = 1 ] || break
    done
    stats=$(sim_stats)
    # Versions per pack must be one for every pack that completed (no duplicates from retries).
    for id in $($py -c '
import json, sys
try: doc = json.load(open(sys.argv[1]))
except Exception: sys.exit(0)
for it in doc.get("items", []):
    r = it.get("result") or {}
    if it.get("succeeded") and r.get("assetPack"): print(r["assetPack"]["id"])
' "out$batch.$([ "$restart" = 1 ] && echo 2 || echo 1).json"); do
        n=$("$bin/ascpp" versions list --asset "$id" --output json 2>/dev/null |
            $py -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))' || echo 0)
        [ "$n" = 1 ] || echo "{\"duplicate_versions\": \"$id\", \"count\": $n}" >>results.jsonl
    done
    # The running simulator's count; the killed ones were read just before the kill.
    echo "$stats" | $py -c 'import json,sys; print(json.load(sys.stdin)["checksums"]["mismatched"])' \
        >mismatch-now 2>/dev/null || echo 0 >mismatch-now
    echo "soak: batch $batch done (restart: $restart, rc ${rc})"
done
mismatches=$((mismatches + $(cat mismatch-now 2>/dev/null || echo 0)))
sim_fds_end=$(proc_fds "$sim_pid")
sim_rss_end=$(proc_rss_kib "$sim_pid")

$py - "$mismatches" "$sim_fds_start" "$sim_fds_end" "$sim_rss_start" "$sim_rss_end" <<'EOF'
import json, os, sys
mismatches, fds0, fds1, rss0, rss1 = map(int, sys.argv[1:])
rows = [json.loads(l) for l in open("results.jsonl")]
dups = [r for r in rows if "duplicate_versions" in r]
runs = [r for r in rows if "batch" in r]
final = {}
for r in runs:
    final[r["batch"]] = r  # the last attempt of each batch counts
attempted = completed = failed = 0
expected_failures = 0
reasons = {}
bytes_sent = bytes_needed = 0
for r in final.values():
    try:
        doc = json.load(open(r["file"]))
    except Exception:
        doc = {}
    for it in doc.get("items", []):
        attempted += 1
        doomed = it["identifier"].endswith("-doomed")
        res = it.get("result") or {}
        if it.get("succeeded"):
            completed += 1
        elif doomed and res.get("processingFailed"):
            expected_failures += 1
        else:
            failed += 1
            reason = (it.get("error") or "unknown")[:90]
            reasons[reason] = reasons.get(reason, 0) + 1
        if it.get("succeeded") or (doomed and res.get("processingFailed")):
            bytes_needed += os.path.getsize(it["asset"]) if os.path.exists(it["asset"]) else 0
    bytes_sent += doc.get("bytesSent", 0)
rss = [r["rss_kib"] for r in runs]
print()
print(f"batches              {len(final)} ({sum(1 for r in final.values() if r['restart'])} with the simulator killed and restarted)")
print(f"packs attempted      {attempted}")
print(f"completed            {completed}")
print(f"failed as intended   {expected_failures} (doomed.aar: processing FAILED, stateDetails reported)")
print(f"failed otherwise     {failed}")
for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]):
    print(f"    {v:4d}  {k}")
ratio = bytes_sent / bytes_needed if bytes_needed else 0
print(f"bytes sent / needed  {bytes_sent} / {bytes_needed} = {ratio:.3f} (retries of failed parts included)")
print(f"checksum mismatches  {mismatches}")
print(f"duplicate versions   {len(dups)}")
print(f"ascpp peak RSS       first batch {rss[0] // 1024 if rss else 0} MiB, last {rss[-1] // 1024 if rss else 0} MiB, max {max(rss) // 1024 if rss else 0} MiB")
print(f"simulator            fds {fds0} -> {fds1}, RSS {rss0 // 1024} -> {rss1 // 1024} MiB (last instance)")
bad = mismatches or dups or failed > attempted // 10
sys.exit(1 if bad else 0)
EOF
