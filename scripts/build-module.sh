#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the module for one installed kernel, out of the tree:
# build/module/<KVER>/nvme_ring_io.ko, from a copy of the sources, against
# the kernel's headers (KDIR, default /lib/modules/<KVER>/build or
# /usr/src/linux-headers-<KVER>) and the NVMe driver's private header from
# that same kernel's source: Debian's linux-source-<X.Y> package, which
# must have the headers package's version (checked; never another one).
# Writes build/module/<KVER>/env, the kernel facts the test VM takes
# (NRI_KERNEL_ENV): KVER, KDIR, KIMAGE, NRI_KO. A kernel built from a
# source tree (scripts/debug-kernel.sh) gives HOSTINC, that tree's
# drivers/nvme/host, instead.
#
# Usage: build-module.sh KVER [KDIR [HOSTINC]]

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: build-module.sh KVER [KDIR [HOSTINC]]}
kdir=${2:-}
inc=${3:-}
die() {
	echo "build-module: $*" >&2
	exit 1
}

if [ -z "$kdir" ]; then
	for d in "/lib/modules/$kver/build" "/usr/src/linux-headers-$kver"; do
		[ -f "$d/Makefile" ] && kdir=$(readlink -f "$d") && break
	done
fi
if [ -z "$kdir" ] || [ ! -f "$kdir/Makefile" ]; then
	die "no headers for $kver (install linux-headers-$kver, or give KDIR)"
fi

# header_from_source: the private header, from the Debian source package
# of exactly this kernel, into build/ksrc-<KVER>/; sets inc
header_from_source() {
	local xy tarball hpkg hver sver t

	xy=$(echo "$kver" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
	tarball=/usr/src/linux-source-$xy.tar.xz
	[ -f "$tarball" ] || die "no $tarball: install linux-source-$xy (the private NVMe header comes from it)"
	hpkg=$(dpkg-query -S "$kdir" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
	if [ -n "$hpkg" ]; then
		hver=$(dpkg-query -W -f='${Version}' "$hpkg")
		sver=$(dpkg-query -W -f='${Version}' "linux-source-$xy")
		[ "$hver" = "$sver" ] ||
			die "linux-source-$xy is $sver but $hpkg is $hver: the private header must come from the same kernel"
	fi
	inc=$top/build/ksrc-$kver
	if [ ! -f "$inc/.stamp" ] || [ "$tarball" -nt "$inc/.stamp" ]; then
		rm -rf "$inc"
		mkdir -p "$inc"
		t=$(tar -tf "$tarball" 2>/dev/null | head -n 1 | cut -d/ -f1 || true)
		tar -xf "$tarball" -C "$inc" --strip-components=4 "$t/drivers/nvme/host/nvme.h"
		touch "$inc/.stamp"
	fi
}
[ -n "$inc" ] || header_from_source

out=$top/build/module/$kver
mkdir -p "$out"
# sources only, mtimes kept: the tree may hold another kernel's objects
(cd "$top" && find src configfs include -name '*.[ch]' -print0 |
	xargs -0 cp -p --parents -t "$out" && cp -p Kbuild "$out/")
make -C "$kdir" M="$out" CONFIG_NVME_RING_IO=m NVME_HOST_INC="$inc" modules \
	>"$out/build.log" 2>&1 || {
	tail -n 30 "$out/build.log" >&2
	die "the build for $kver failed (build/module/$kver/build.log)"
}
if grep -E 'warning:|error:' "$out/build.log" >&2; then
	die "the build for $kver warned"
fi
cat >"$out/env" <<ENV
KVER=$kver
KDIR=$kdir
KIMAGE=/boot/vmlinuz-$kver
NRI_KO=$out/nvme_ring_io.ko
ENV
echo "build-module: build/module/$kver/nvme_ring_io.ko"
