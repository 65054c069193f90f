#!/usr/bin/env bash
# Installs dnntrain to a temporary prefix, builds examples/embed against it with
# find_package(dnntrain CONFIG REQUIRED), runs it, and checks that an unsatisfiable version request
# is refused. Usage: check_install.sh <build-dir> <source-dir> <scratch-dir>
set -euo pipefail
build=$1 source=$2 scratch=$3
rm -rf "$scratch" && mkdir -p "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" > "$scratch/install.log"
cmake -S "$source/examples/embed" -B "$scratch/embed" -DCMAKE_PREFIX_PATH="$scratch/prefix" \
  -DCMAKE_BUILD_TYPE=Release > "$scratch/configure.log"
cmake --build "$scratch/embed" -j 2 > "$scratch/build.log"
(cd "$scratch" && ./embed/embed "$scratch/embedded.safetensors")
test -s "$scratch/embedded.safetensors" || { echo "the example wrote no checkpoint"; exit 1; }

mkdir -p "$scratch/too_new"
cat > "$scratch/too_new/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(too_new CXX)
find_package(dnntrain 99 CONFIG REQUIRED)
CMAKE
if cmake -S "$scratch/too_new" -B "$scratch/too_new/build" -DCMAKE_PREFIX_PATH="$scratch/prefix" \
     > "$scratch/too_new.log" 2>&1; then
  echo "find_package(dnntrain 99) was accepted"; exit 1
fi
grep -q "version" "$scratch/too_new.log" || { cat "$scratch/too_new.log"; exit 1; }
echo "installed, built and ran examples/embed; version 99 refused"
