#!/usr/bin/env bash
# Benchmarks ascpp against curl and python3-aiohttp on a local ascpp-sim (docs/benchmarks.md).
#
#   scripts/bench.sh           full mode: a 1 GiB upload and 64 files of 16 MiB, 10,000 watchers,
#                              a 4 GiB publish, 3 alternating runs per contender (half an hour
#                              or more)
#   scripts/bench.sh --quick   a 64 MiB upload and 16 files of 4 MiB, 500 watchers, a 256 MiB
#                              publish, 1 run (2-3 min)
#
# Builds the release preset (binaries in build/bin), runs build/bin/ascpp-bench, which starts
# build/bin/ascpp-sim on loopback (TLS, generated CA and key, parts spooled to /dev/shm) and
# checks every contender's result, then writes bench/results.json and plots bench/throughput.png.
# Extra arguments go to ascpp-bench (e.g. --scenarios upload --concurrency 1,8); a run of some
# scenarios keeps the other scenarios' results already in bench/results.json.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/bootstrap.sh"

# ASCPP_BENCH_BUILD_DIR: an optimised build elsewhere than the preset's build/.
if [ -n "${ASCPP_BENCH_BUILD_DIR:-}" ]; then
    bin=$ASCPP_BENCH_BUILD_DIR/bin
    cmake -S "$root" -B "$ASCPP_BENCH_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$ASCPP_BENCH_BUILD_DIR" -j"$(nproc)" --target ascpp-bench ascpp-sim ascpp_tool
else
    bin=build/bin
    cmake --preset release >/dev/null
    cmake --build --preset release --target ascpp-bench ascpp-sim ascpp_tool
fi

data=$(mktemp /tmp/ascpp-bench-plot.XXXXXX)
many=$(mktemp /tmp/ascpp-bench-plot-many.XXXXXX)
trap 'rm -f "$data" "$many"' EXIT

"$bin/ascpp-bench" --sim "$bin/ascpp-sim" --cli "$bin/ascpp" --peer-script bench/peer_aiohttp.py \
    --out bench/results.json --plot-data "$data" --plot-data-many "$many" "$@"

# The plot is drawn from bench/results.json, so it shows what the file holds (a run of some
# scenarios keeps the others): solid lines one file (upload), dashed many files (upload-many).
plots=()
for spec in "upload_throughput:$data:1" "upload_many_files:$many:2"; do
    IFS=: read -r name file dash <<<"$spec"
    label=$(python3 - "$name" "$file" <<'PY'
import json, sys
name, out = sys.argv[1], sys.argv[2]
doc = json.load(open("bench/results.json"))
sc = next((s for s in doc["scenarios"] if s.get("name") == name and "error" not in s), None)
if sc is None:
    sys.exit(0)
with open(out, "w") as f:
    for conc, row in sorted(sc["by_concurrency"].items(), key=lambda kv: int(kv[0])):
        cells = [row[w]["mib_per_s"]["median"] if w in row else "NaN"
                 for w in ("ascpp", "curl", "aiohttp")]
        f.write(" ".join([conc] + [str(c) for c in cells]) + "\n")
files, mib = sc.get("files", 1), sc["file_bytes"] / 2**20
print(f"one file of {mib:.0f} MiB" if files == 1 else f"{files} files of {mib:.0f} MiB")
PY
)
    [ -n "$label" ] || continue
    plots+=("\"$file\" using 1:2 with linespoints lw 2 dt $dash lc 1 title \"ascpp, $label\"")
    plots+=("\"$file\" using 1:3 with linespoints lw 2 dt $dash lc 2 title \"curl --parallel, $label\"")
    plots+=("\"$file\" using 1:4 with linespoints lw 2 dt $dash lc 3 title \"python3-aiohttp, $label\"")
done
plot_cmd=$(IFS=,; echo "${plots[*]}")

if [ ${#plots[@]} -eq 0 ]; then
    echo "bench.sh: wrote bench/results.json (no upload result in it: bench/throughput.png kept)"
elif command -v gnuplot >/dev/null; then
    cores=$(nproc)
    gnuplot <<GNUPLOT
set terminal pngcairo size 900,560 noenhanced
set output "bench/throughput.png"
set title "Upload throughput over TLS on loopback (ascpp-sim on the same ${cores}-core machine)"
set xlabel "concurrent part uploads"
set ylabel "MiB/s (median)"
set logscale x 2
set xtics (1, 4, 8, 16)
set xrange [0.8:20]
set yrange [0:*]
set key right bottom
set grid
plot $plot_cmd
GNUPLOT
    echo "bench.sh: wrote bench/results.json and bench/throughput.png"
else
    echo "bench.sh: gnuplot not installed, no plot (scripts/bootstrap.sh installs gnuplot-nox)" >&2
fi
