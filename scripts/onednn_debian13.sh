#!/usr/bin/env bash
# Builds Debian 13's own oneDNN source package (onednn 3.7.2+ds-2, the source of trixie's
# libdnnl-dev) on a Debian 12 machine and installs it into a prefix, so that dnntrain can be built
# and tested against the oneDNN that Debian 13 users get from `apt-get install libdnnl-dev`.
# The source comes from Debian's archive through a private apt configuration (nothing is added to
# the machine's own sources). It is configured as debian/rules does, with differences that only
# save build time on 2 cores: no link-time optimisation, no oneDNN tests, no graph API, and only
# the primitives dnntrain creates, and matmul (DNNL_ENABLE_PRIMITIVE); the API and every kernel dnntrain
# can dispatch to are Debian 13's.
#   usage: scripts/onednn_debian13.sh [PREFIX]   (default /opt/onednn/3.7.2-debian13; run as root)
# Then: cmake -S . -B build-deb13 -DDNNTRAIN_ONEDNN_ROOT=PREFIX && cmake --build build-deb13
set -euo pipefail
prefix=${1:-/opt/onednn/3.7.2-debian13}
work=${WORK:-/tmp/onednn-debian13}
mkdir -p "$work/lists/partial" "$work/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
  > "$work/sources.list"
apt_opts=(-o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$work/lists")
apt-get "${apt_opts[@]}" update -q
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends cmake ninja-build g++ libtbb-dev libspdlog-dev libsimde-dev dpkg-dev
cd "$work/src"
apt-get "${apt_opts[@]}" source --download-only onednn=3.7.2+ds-2
rm -rf onednn-3.7.2
dpkg-source -x onednn_3.7.2+ds-2.dsc onednn-3.7.2 # unpacks and applies debian/patches
cmake -S onednn-3.7.2 -B build -G Ninja -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
  -DCMAKE_CXX_STANDARD=17 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDNNL_EXPERIMENTAL_SPARSE=ON \
  -DDNNL_EXPERIMENTAL_UKERNEL=ON -DDNNL_BUILD_TESTS=OFF -DDNNL_BUILD_EXAMPLES=OFF -DONEDNN_ARCH_OPT_FLAGS="" \
  -DONEDNN_BUILD_GRAPH=OFF \
  -DDNNL_ENABLE_PRIMITIVE="BATCH_NORMALIZATION;BINARY;CONVOLUTION;ELTWISE;INNER_PRODUCT;MATMUL;POOLING;REORDER;SUM"
cmake --build build -j "$(nproc)"
cmake --install build
echo "oneDNN 3.7.2 (Debian 13 source) installed in $prefix"
