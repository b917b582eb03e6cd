#!/usr/bin/env bash
# Build the Debian package of Cairn: a Release build (tests off, installed
# under /usr) in BUILD_DIR, then `cpack -G DEB` there (cmake/Packaging.cmake).
# Prints the absolute path of the .deb on stdout; everything else goes to stderr.
#   package.sh [BUILD_DIR]      default: build-package at the repository's top
# Parallel jobs: CMAKE_BUILD_PARALLEL_LEVEL, else the number of CPUs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build-package}

for tool in cmake cpack dpkg-deb; do
	command -v "$tool" >/dev/null || { echo "package: $tool is missing (scripts/install-deps.sh build)" >&2; exit 1; }
done
cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr >&2
cmake --build "$dir" --parallel "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" >&2
rm -f "$dir"/cairn_*.deb
(cd "$dir" && cpack -G DEB) >&2
debs=("$dir"/cairn_*.deb)
if [ ! -f "${debs[0]}" ]; then
	echo "package: cpack made no cairn_*.deb in $dir" >&2
	exit 1
fi
readlink -f "${debs[0]}"
