#!/bin/bash
# Builds the Debian package of pgha into the build tree:
#   bash scripts/package.sh            -> build/packages/pgha_<version>_<arch>.deb
# Reuses build/ (PGHA_BUILD_DIR to choose another tree): it is configured with
# CMAKE_INSTALL_PREFIX=/usr (only the install rules change, nothing is
# recompiled), built if needed, and CPack installs it into a staging directory
# and packs it (packaging/CMakeLists.txt). Needs what scripts/install-deps.sh
# installs (dpkg-dev for dpkg-shlibdeps).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${PGHA_BUILD_DIR:-build}
start=$(date +%s)

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr
elif [ "$prefix" != /usr ]; then
  cmake -S . -B "$BUILD" -DCMAKE_INSTALL_PREFIX=/usr
fi
cmake --build "$BUILD"

out="$BUILD/packages"
rm -rf "$out"
mkdir -p "$out"
(cd "$BUILD" && cpack -G DEB -B "$PWD/packages" >packages/cpack.log 2>&1) || {
  cat "$out/cpack.log" >&2
  echo "package.sh: cpack failed (log above: $out/cpack.log)" >&2
  exit 1
}
rm -rf "$out/_CPack_Packages"
deb=$(ls "$out"/*.deb)
echo "package.sh: built $deb in $(( $(date +%s) - start )) s"
