#!/bin/sh
# deps.sh build|test - install the Debian packages jitnic needs, if missing.
set -e
PKGS="make gcc clang llvm pkg-config libbpf-dev libelf-dev zlib1g-dev libpcap-dev libjson-c-dev gnuplot-nox"
if [ "$1" = test ]; then
	PKGS="$PKGS libcmocka-dev llvm-19 libxdp1 libclang-rt-14-dev"
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install$missing (or install them yourself)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq $missing >/dev/null
