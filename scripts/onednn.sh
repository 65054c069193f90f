#!/usr/bin/env bash
# Installs oneDNN 3 where the build finds it, only when it is missing. Debian 13 and later: the
# distribution's libdnnl-dev (3.7.2 in Debian 13). Debian 12, whose libdnnl-dev is 2.6: Intel's
# CPU-only wheels from PyPI, unpacked into /opt/onednn/<version>-<runtime>, the prefix CMake
# searches (CMakeLists.txt). Called by scripts/deps.sh; run as root.
#   usage: scripts/onednn.sh [gomp|tbb]   (the runtime; default gomp, see docs/architecture.md)
set -euo pipefail
runtime=${1:-gomp}
version=2023.2.0 # the wheels' release; it holds oneDNN 3.2.0
prefix=/opt/onednn/3.2-$runtime

. /etc/os-release
if [ "${VERSION_CODENAME:-}" != bookworm ]; then
  dpkg-query -W -f='${Status}' libdnnl-dev 2>/dev/null | grep -q "install ok installed" && exit 0
  echo "installing: libdnnl-dev"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libdnnl-dev
  exit 0
fi

[ -f "$prefix/lib/cmake/dnnl/dnnl-config.cmake" ] && exit 0
echo "installing: oneDNN 3.2 ($runtime runtime) from PyPI into $prefix"
wheels=(onednn-cpu-$runtime==$version onednn-devel-cpu-$runtime==$version)
# The TBB build links Intel's compiler runtime (libimf, libintlc); its oneTBB is Debian's libtbb12,
# which has the same soname, so only that one copy of oneTBB is ever loaded.
[ "$runtime" = tbb ] && wheels+=(intel-cmplr-lib-rt==$version)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" "${wheels[@]}"
mkdir -p "$tmp/unpacked" "$(dirname "$prefix")"
for w in "$tmp"/*.whl; do
  python3 -m zipfile -e "$w" "$tmp/unpacked"
done
rm -rf "$prefix.partial"
mkdir -p "$prefix.partial"
for d in "$tmp"/unpacked/*.data/data; do
  cp -a "$d"/. "$prefix.partial"/
done
# The wheels hold libdnnl.so, .so.3 and .so.3.2 as three copies of one file: keep one, link the rest.
(cd "$prefix.partial/lib" && ln -sf libdnnl.so.3.2 libdnnl.so.3 && ln -sf libdnnl.so.3 libdnnl.so)
mv "$prefix.partial" "$prefix"
