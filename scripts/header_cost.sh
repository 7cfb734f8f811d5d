#!/usr/bin/env bash
# What including each public header costs a user's translation unit: compile time (wall and CPU),
# peak compiler memory and preprocessed lines, each header alone, in a file with nothing else.
#   scripts/header_cost.sh [header ...]    default: the headers users include most
# Uses the compiler a user would (c++ -std=c++20 -O0, no precompiled header). Run it on an idle
# machine: the figures are times, not counts.
set -euo pipefail
cd "$(dirname "$0")/.."
cxx="${CXX:-c++}"
headers=("$@")
if [ ${#headers[@]} -eq 0 ]; then
    headers=(ascpp/async.hpp ascpp/api/client.hpp ascpp/upload/upload_file.hpp
             ascpp/workflow/state_watcher.hpp ascpp/workflow/batch.hpp ascpp/workflow/publish.hpp
             ascpp/api/json.hpp ascpp/http/client.hpp)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The floor: the standard headers the public ones need anyway.
printf '#include <filesystem>\n#include <functional>\n#include <map>\n#include <memory>\n#include <optional>\n#include <variant>\nint main() {}\n' >"$work/std.cpp"

measure() { # name file
    local lines
    lines=$("$cxx" -std=c++20 -Iinclude -E "$2" | wc -l)
    /usr/bin/time -f "%e %U %M" -o "$work/time" "$cxx" -std=c++20 -O0 -Iinclude -c "$2" -o "$work/out.o"
    read -r wall cpu kb <"$work/time"
    printf '%-36s %7s %7s %8d %9d\n' "$1" "$wall" "$cpu" $((kb / 1024)) "$lines"
}

printf '%-36s %7s %7s %8s %9s\n' header "wall s" "cpu s" "peak MB" lines
measure "(standard library floor)" "$work/std.cpp"
for h in "${headers[@]}"; do
    printf '#include <%s>\nint main() {}\n' "$h" >"$work/one.cpp"
    measure "$h" "$work/one.cpp"
done
