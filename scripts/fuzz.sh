#!/usr/bin/env bash
# Fuzzes the parsers with clang's libFuzzer (+ASan+UBSan) for a bounded time each.
#   scripts/fuzz.sh [seconds per target, default 60] [target ...]
# Targets: fuzz_api_documents fuzz_headers fuzz_http_response fuzz_proxy_connect fuzz_private_key
# fuzz_batch_file fuzz_duration fuzz_command_line fuzz_md5_multi fuzz_webhook_request (test/fuzz/*.cpp).
# New inputs that raise coverage are kept in build-fuzz/corpus/<target>; a crash leaves its input
# in build-fuzz/ — fix it and copy the input to test/fuzz/corpus/<target>/ so the suite replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_api_documents fuzz_headers fuzz_http_response fuzz_proxy_connect fuzz_private_key fuzz_batch_file
                                 fuzz_duration fuzz_command_line fuzz_md5_multi fuzz_webhook_request)

if ! command -v clang++ >/dev/null || ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q 'ok installed'; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
fi
scripts/bootstrap.sh

out=build-fuzz
mkdir -p "$out"
# -fno-sanitize=function: clang 14 cannot emit that check's prologue data for coroutine
# functions ("Cannot represent a difference across sections"), which the transport is made of.
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize=function -fno-sanitize-recover=undefined
       -Iinclude -Isrc/cli -Isrc/http -Isrc/workflow -DBOOST_JSON_NO_LIB -DBOOST_URL_NO_LIB)
libs=(-lboost_json -lboost_url -lssl -lcrypto -lpthread)

sources_of() {
    case "$1" in
    fuzz_api_documents) echo src/api/models_json.cpp src/api/json_object.cpp src/api/error.cpp src/api/query.cpp src/api/rate_limit.cpp ;;
    fuzz_headers) echo src/api/rate_limit.cpp ;;
    fuzz_private_key) echo src/auth/private_key.cpp src/auth/error.cpp src/auth/base64url.cpp ;;
    fuzz_http_response | fuzz_proxy_connect) echo src/http/connection.cpp src/http/connect.cpp src/http/proxy.cpp src/http/error.cpp src/http/body_reader.cpp src/http/read_buffer.cpp src/http/tls_bulk_write.cpp src/http/blocking_pool.cpp ;;
    fuzz_batch_file) echo src/workflow/batch_file.cpp ;;
    fuzz_duration) echo src/cli/duration.cpp ;;
    fuzz_command_line) echo src/cli/command_line.cpp src/cli/duration.cpp ;;
    fuzz_md5_multi) echo src/upload/md5_multi.cpp src/upload/md5_multi_avx2.cpp src/upload/md5_multi_avx512.cpp ;;
    fuzz_webhook_request) echo src/workflow/webhook_request.cpp ;;
    *) echo "unknown target $1" >&2; exit 2 ;;
    esac
}

printf '%-22s %12s %10s %8s\n' target executions exec/s status
for t in "${targets[@]}"; do
    srcs=()
    for s in $(sources_of "$t"); do
        [ -f "$s" ] || continue
        # A vector kernel is built for its instruction set on its own, as CMake builds it; the
        # rest is not.
        isa=()
        case "$s" in
        *_avx2.cpp) isa=(-mavx2) ;;
        *_avx512.cpp) isa=(-mavx2 -mavx512f -mavx512vl) ;;
        esac
        if [ ${#isa[@]} -gt 0 ]; then
            clang++ "${flags[@]}" "${isa[@]}" -fno-exceptions -c "$s" -o "$out/$(basename "$s" .cpp).o"
            srcs+=("$out/$(basename "$s" .cpp).o")
        else
            srcs+=("$s")
        fi
    done
    clang++ "${flags[@]}" "test/fuzz/$t.cpp" "${srcs[@]}" "${libs[@]}" -o "$out/$t"
    mkdir -p "$out/corpus/$t"
    log="$out/$t.log"
    status=ok
    (cd "$out" && ./"$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "corpus/$t" "../test/fuzz/corpus/$t" >"$t.log" 2>&1) || status=CRASH
    runs=$( (grep -o 'stat::number_of_executed_units: [0-9]*' "$log" || true) | awk '{print $2}' | tail -1)
    rate=$(( ${runs:-0} / seconds ))
    printf '%-22s %12s %10s %8s\n' "$t" "${runs:-?}" "${rate:-?}" "$status"
    [ "$status" = ok ] || { tail -40 "$log"; exit 1; }
done
