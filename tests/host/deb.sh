#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, as a user would take them: make deb (debhelper,
# dh-dkms, then lintian, which must report no error), install the four
# packages, DKMS builds the module for every installed kernel with headers
# (the test kernel and Debian 12's 6.1 here), the files are where they
# belong, nvme-ring runs, and purging removes everything. The modules DKMS
# built are kept in build/dkms/<kver>/ (with an env file for
# NRI_KERNEL_ENV) for make check's smoke boot of each kernel. Needs root, dkms
# and debhelper (make deps); exits 77 (skip) without them.

set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
pkgs=(nvme-ring-io-dkms libnvmering1 libnvmering-dev nvme-ring)
fail() {
	echo "FAIL: deb: $*"
	exit 1
}
if [ "$(id -u)" -ne 0 ] || ! command -v dkms >/dev/null || ! command -v dh >/dev/null ||
	! command -v lintian >/dev/null; then
	echo "SKIP: deb: needs root, dkms, debhelper and lintian (make deps installs them)"
	exit 77
fi
for p in "${pkgs[@]}"; do
	! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed ||
		fail "$p is already installed here; remove it first"
done
# shellcheck disable=SC2317 # called through the trap
cleanup() {
	dpkg --purge "${pkgs[@]}" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# the modules DKMS builds here, for make check's smoke boots
smoke=$top/build/dkms
rm -rf "$smoke"
make -s -C "$top" deb >/tmp/deb-build.log 2>&1 || fail "make deb: $(tail -n 5 /tmp/deb-build.log)"
debs=()
for p in "${pkgs[@]}"; do
	f=$(find "$top/build/deb" -maxdepth 1 -name "${p}_*.deb" | head -n 1)
	[ -n "$f" ] || fail "make deb built no $p"
	debs+=("$f")
done
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${debs[@]}" \
	>/tmp/deb-install.log 2>&1 || fail "installing: $(tail -n 5 /tmp/deb-install.log)"

. "$top/build/kernel.mk"
kernels=("$TEST_KVER")
old=$("$top/scripts/older-kernel.sh")
[ -z "$old" ] || kernels+=("$old")
for k in "${kernels[@]}"; do
	st=$(dkms status nvme-ring-io -k "$k" 2>/dev/null)
	grep -q installed <<<"$st" || fail "dkms status for $k: '$st'"
	ko=$(find "/lib/modules/$k/updates/dkms" -name 'nvme_ring_io.ko*' | head -n 1)
	[ -n "$ko" ] || fail "no module for $k in /lib/modules/$k/updates/dkms"
	# make check boots each kernel with the module DKMS built for it
	mkdir -p "$smoke/$k"
	case $ko in
	*.xz) xz -dc "$ko" >"$smoke/$k/nvme_ring_io.ko" ;;
	*.zst) zstd -qdc "$ko" >"$smoke/$k/nvme_ring_io.ko" ;;
	*.gz) gzip -dc "$ko" >"$smoke/$k/nvme_ring_io.ko" ;;
	*) cp "$ko" "$smoke/$k/nvme_ring_io.ko" ;;
	esac
	{
		echo "KVER=$k"
		echo "KDIR=/lib/modules/$k/build"
		echo "KIMAGE=/boot/vmlinuz-$k"
		echo "NRI_KO=$smoke/$k/nvme_ring_io.ko"
	} >"$smoke/$k/env"
done
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in /usr/sbin/nvme-ring /usr/include/nvmering.h /usr/include/nvmering-uring.h \
	/usr/include/linux/nvme_ring_io.h "/usr/lib/$ma/libnvmering.so.1" \
	"/usr/lib/$ma/pkgconfig/libnvmering.pc" /usr/lib/systemd/system/nvme-ring.service \
	/usr/lib/modules-load.d/nvme-ring.conf /usr/share/man/man8/nvme-ring.8.gz \
	/usr/share/man/man3/libnvmering.3.gz; do
	[ -e "$f" ] || fail "$f is not installed"
done
nvme-ring version >/dev/null || fail "nvme-ring does not run"
pkg-config --modversion libnvmering >/dev/null || fail "pkg-config does not find libnvmering"

dpkg --purge "${pkgs[@]}" >/tmp/deb-purge.log 2>&1 || fail "purging: $(tail -n 5 /tmp/deb-purge.log)"
[ -z "$(dkms status nvme-ring-io 2>/dev/null)" ] || fail "DKMS still knows the module after purging"
for k in "${kernels[@]}"; do
	[ -z "$(find "/lib/modules/$k/updates/dkms" -name 'nvme_ring_io.ko*' 2>/dev/null)" ] ||
		fail "the module for $k is still there after purging"
done
[ ! -e /usr/sbin/nvme-ring ] || fail "nvme-ring is still there after purging"
echo "deb: ${pkgs[*]} built (lintian clean), installed (DKMS for ${kernels[*]}) and purged"
