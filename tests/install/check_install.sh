#!/usr/bin/env bash
# Installs dnntrain to a temporary prefix and checks what a user of the install gets: the command
# starts with no LD_LIBRARY_PATH (RUNPATH), only the public headers are installed and they include
# no oneDNN header, examples/embed builds against the install with -Wall -Wextra -Werror and runs,
# and an unsatisfiable version request is refused.
# Usage: check_install.sh <build-dir> <source-dir> <scratch-dir> <c++ compiler>
set -euo pipefail
build=$1 source=$2 scratch=$3 cxx=$4
prefix=$scratch/prefix
rm -rf "$scratch" && mkdir -p "$scratch"
cmake --install "$build" --prefix "$prefix" > "$scratch/install.log"
fail() { echo "FAIL: $*"; exit 1; }

# The command and every library carry RUNPATH $ORIGIN/../<libdir>; the command starts without help.
env -u LD_LIBRARY_PATH "$prefix/bin/dnntrain" --help > "$scratch/help.txt" 2>&1 ||
  { cat "$scratch/help.txt"; fail "the installed bin/dnntrain --help did not start"; }
grep -q "train" "$scratch/help.txt" || fail "bin/dnntrain --help printed no command list"
for binary in "$prefix/bin/dnntrain" "$prefix"/lib*/libdnntrain*.so.0; do
  readelf -d "$binary" | grep -q 'RUNPATH.*\$ORIGIN/\.\./lib' || fail "$binary has no RUNPATH \$ORIGIN/../lib"
done

# Only include/dnntrain/*.hpp is installed, and the umbrella header pulls in no oneDNN header.
others=$(find "$prefix/include" -mindepth 1 ! -regex "$prefix/include/dnntrain\(/[a-z_]*\.hpp\)?")
[ -z "$others" ] || fail "more than include/dnntrain/*.hpp is installed: $(echo "$others" | head -3)"
echo '#include <dnntrain/dnntrain.hpp>' > "$scratch/umbrella.cpp"
"$cxx" -std=c++20 -I"$prefix/include" -E "$scratch/umbrella.cpp" -o "$scratch/umbrella.ii"
grep -q 'dnntrain/trainer.hpp' "$scratch/umbrella.ii" || fail "the preprocessed umbrella header lacks trainer.hpp"
onednn=$(grep -E '^# [0-9]+ "[^"]*(dnnl|oneapi)[^"]*"' "$scratch/umbrella.ii" || true)
[ -z "$onednn" ] || fail "<dnntrain/dnntrain.hpp> includes a oneDNN header: $(echo "$onednn" | head -1)"

# The examples, built against the install with warnings as errors, and run.
for example in "$source"/examples/*/; do
  name=$(basename "$example")
  cmake -S "$example" -B "$scratch/$name" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" > "$scratch/$name.configure.log"
  cmake --build "$scratch/$name" -j 2 > "$scratch/$name.build.log" || { cat "$scratch/$name.build.log"; exit 1; }
done
(cd "$scratch" && env -u LD_LIBRARY_PATH ./embed/embed "$scratch/embedded.safetensors") | tee "$scratch/embed.txt"
test -s "$scratch/embedded.safetensors" || fail "the example wrote no weights file"
# Image 0 is predicted alike alone (batch 1) and among seven (batch 7).
grep -qE 'class ([0-9]); images 0-6: classes \1( [0-9]){6}$' "$scratch/embed.txt" ||
  fail "the example's batch-1 and batch-7 predictions of image 0 differ, or it printed fewer than 7"

mkdir -p "$scratch/too_new"
cat > "$scratch/too_new/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(too_new CXX)
find_package(dnntrain 99 CONFIG REQUIRED)
CMAKE
if cmake -S "$scratch/too_new" -B "$scratch/too_new/build" -DCMAKE_PREFIX_PATH="$prefix" \
     > "$scratch/too_new.log" 2>&1; then
  fail "find_package(dnntrain 99) was accepted"
fi
grep -q "version" "$scratch/too_new.log" || { cat "$scratch/too_new.log"; exit 1; }
echo "installed; bin/dnntrain starts without LD_LIBRARY_PATH; public headers only, no oneDNN header;"
echo "examples built with -Werror against the install and ran; version 99 refused"
