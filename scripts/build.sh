#!/usr/bin/env bash
# Configure and build Cairn into a build directory.
#   build.sh [BUILD_DIR] [extra cmake options...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build}
shift || true
cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
