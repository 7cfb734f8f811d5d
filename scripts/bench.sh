#!/usr/bin/env bash
# Benchmarks ascpp against curl and python3-aiohttp on a local ascpp-sim (README "Benchmarks").
#
#   scripts/bench.sh           full mode: 1 GiB uploads, 10,000 watchers, a 4 GiB publish,
#                              3 alternating runs per contender (about half an hour)
#   scripts/bench.sh --quick   64 MiB uploads, 500 watchers, a 256 MiB publish, 1 run (2-3 min)
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
trap 'rm -f "$data"' EXIT

"$bin/ascpp-bench" --sim "$bin/ascpp-sim" --cli "$bin/ascpp" --peer-script bench/peer_aiohttp.py \
    --out bench/results.json --plot-data "$data" "$@"

if [ ! -s "$data" ]; then
    echo "bench.sh: wrote bench/results.json (no upload scenario run: bench/throughput.png kept)"
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
plot "$data" using 1:2 with linespoints lw 2 title "ascpp (upload_file)", \
     "$data" using 1:3 with linespoints lw 2 title "curl --parallel", \
     "$data" using 1:4 with linespoints lw 2 title "python3-aiohttp"
GNUPLOT
    echo "bench.sh: wrote bench/results.json and bench/throughput.png"
else
    echo "bench.sh: gnuplot not installed, no plot (scripts/bootstrap.sh installs gnuplot-nox)" >&2
fi
