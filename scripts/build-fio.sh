#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build fio from Debian 12's source package (3.33), for the nvmering fio
# engine (userspace/fio/) to be built against and loaded by: an external
# engine must come from the same source as the fio that loads it. Needs a
# deb-src entry for the archive (scripts/install-deps.sh --fio adds one).
#
# Output, cached: build/fio/src (the configured source tree, whose
# config-host.h the engine includes) and build/fio/fio (the binary).
#
# Usage: build-fio.sh [-j JOBS]

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/fio
jobs=$(nproc)
if [ "${1:-}" = -j ]; then
	jobs=$2
fi

if [ -x "$out/fio" ] && [ -f "$out/src/config-host.h" ]; then
	echo "build-fio: $("$out/fio" --version) in ${out#"$top"/}"
	exit 0
fi

mkdir -p "$out/dl"
cd "$out/dl"
dirs=(fio-*/)
if [ ! -d "${dirs[0]}" ]; then
	echo "build-fio: fetching Debian's fio source" >&2
	apt-get source -q fio >&2 || {
		echo "build-fio: 'apt-get source fio' failed: is there a deb-src entry? (scripts/install-deps.sh --fio)" >&2
		exit 1
	}
fi
dirs=("$out"/dl/fio-*/)
srcdir=${dirs[0]%/}
rm -rf "$out/src"
cp -a "$srcdir" "$out/src"
cd "$out/src"
echo "build-fio: building $(basename "$srcdir") (log: build/fio/build.log)" >&2
if ! { ./configure --disable-native && make -j"$jobs" fio; } >"$out/build.log" 2>&1; then
	echo "build-fio: the build failed; the end of build/fio/build.log:" >&2
	tail -n 20 "$out/build.log" >&2
	exit 1
fi
install -m 0755 fio "$out/fio"
echo "build-fio: $("$out/fio" --version) in ${out#"$top"/}"
