#!/usr/bin/env bash
# The README's test command: install what is missing, build, and run the whole suite.
#   scripts/test.sh [preset]     preset: release (default), debug, asan, tsan, clang
# ASCPP_WARNINGS_AS_ERRORS=ON makes warnings errors; ASCPP_QUIET_BUILD_CHECK=ON also fails a
# build that prints any compiler note (CI sets both).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

scripts/bootstrap.sh
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
# Paths relative to the checkout, so another clone of the same code reuses the compiler cache.
export CCACHE_BASEDIR="$PWD"
cmake --preset "$preset" -DASCPP_WARNINGS_AS_ERRORS="${ASCPP_WARNINGS_AS_ERRORS:-OFF}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cmake --build --preset "$preset" 2>&1 | tee "$log"
if [ "${ASCPP_QUIET_BUILD_CHECK:-OFF}" = ON ] && grep -nE '(warning|note):' "$log"; then
    echo "test.sh: the build printed the warnings or notes above" >&2
    exit 1
fi
ctest --preset "$preset"
