#!/bin/sh
# CTest "fuzz" case: builds the safetensors libFuzzer target with clang++ and ASan/UBSan, then runs it
# for a bounded time on the committed seeds. New inputs go to a scratch folder given first, so the
# committed corpus is never modified.
# usage: run_fuzz.sh SOURCE_ROOT OUT_DIR SECONDS
set -eu
root=$1 out=$2 seconds=$3
cxx=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$cxx" ]; then
  echo "SKIP: clang++ not found; install Debian's clang-14 and libclang-rt-14-dev to run the fuzzer"
  exit 77
fi
if ! ls "$("$cxx" --print-runtime-dir)"/libclang_rt.fuzzer*x86_64.a >/dev/null 2>&1 &&
   ! ls "$("$cxx" --print-runtime-dir)"/libclang_rt.fuzzer.a >/dev/null 2>&1; then
  echo "SKIP: clang's libFuzzer runtime is missing; install libclang-rt-14-dev"
  exit 77
fi
mkdir -p "$out/scratch_corpus"
src="$root/tests/fuzz/safetensors_fuzz.cpp $root/engine/checkpoint/safetensors.cpp
     $root/engine/checkpoint/safetensors_write.cpp $root/engine/checkpoint/json.cpp
     $root/engine/checkpoint/atomic_file.cpp"
bin="$out/safetensors_fuzz"
stale=0
[ -x "$bin" ] || stale=1
for f in $src "$root"/engine/checkpoint/*.hpp; do [ "$f" -nt "$bin" ] 2>/dev/null && stale=1; done
if [ "$stale" = 1 ]; then
  echo "building $bin with $cxx"
  # shellcheck disable=SC2086
  "$cxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root" $src -o "$bin"
fi
"$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
  "$out/scratch_corpus" "$root/tests/fuzz/seeds"
