#!/usr/bin/env bash
# The README's test command: install what is missing, build, and run the whole suite.
#   scripts/test.sh [preset]     preset: release (default), debug, asan, tsan
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

scripts/bootstrap.sh
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
cmake --preset "$preset"
cmake --build --preset "$preset"
ctest --preset "$preset"
