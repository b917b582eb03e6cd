#!/usr/bin/env bash
# Install the Debian 12 packages Cairn needs, only those that are missing.
#   install-deps.sh build   what building needs
#   install-deps.sh test    building + the test suite (adduser, man-db and groff-base: tests/e2e/test_package.sh)
#   install-deps.sh bench   testing + restic and borg for bench/
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libsodium-dev libzstd-dev libsqlite3-dev libjansson-dev libssl-dev
	libcurl4-openssl-dev libexpat1-dev libinih-dev)
test_pkgs=(libcmocka-dev python3 python3-boto3 attr acl util-linux curl adduser man-db groff-base)
bench_pkgs=(restic borgbackup time)

want=("${build_pkgs[@]}")
case "${1:-build}" in
build) ;;
test) want+=("${test_pkgs[@]}") ;;
bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
*) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# the tests' second S3 server (s3rver) comes from npm; any npm will do (Debian's,
# or one bundled with another nodejs)
if [ "${1:-build}" != build ] && ! command -v npm >/dev/null; then
	missing+=(npm)
fi
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
