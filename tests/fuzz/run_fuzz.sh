#!/bin/sh
# CTest "fuzz" case: builds a libFuzzer target with clang++ and ASan/UBSan, then runs it for a
# bounded time on its committed seeds (tests/fuzz/seeds/NAME). New inputs go to a scratch folder given
# first, so the committed corpus is never modified.
# usage: run_fuzz.sh SOURCE_ROOT OUT_DIR SECONDS NAME "LINK FLAGS" SOURCE...
#   SOURCEs are relative to SOURCE_ROOT, the fuzz target's own file first; it names the binary.
set -eu
root=$1 out=$2 seconds=$3 name=$4 libs=$5
shift 5
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
src="" headers="$root/tests/fuzz/*.hpp $root/engine/*.hpp"
for f in "$@"; do
  src="$src $root/$f"
  headers="$headers $root/$(dirname "$f")/*.hpp"
done
bin="$out/$(basename "$1" .cpp)"
stale=0
[ -x "$bin" ] || stale=1
# shellcheck disable=SC2086
for f in $src $headers; do [ "$f" -nt "$bin" ] 2>/dev/null && stale=1; done
if [ "$stale" = 1 ]; then
  echo "building $bin with $cxx"
  # shellcheck disable=SC2086
  "$cxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root" -I"$root/include" $src -o "$bin" $libs
fi
mkdir -p "$out/scratch_corpus_$name"
"$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
  "$out/scratch_corpus_$name" "$root/tests/fuzz/seeds/$name"
