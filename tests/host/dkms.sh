#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS, as a user's machine would run it: make dkms-source puts the sources
# and dkms.conf in /usr/src/nvme-ring-io-<version>/, then dkms add, build
# and install for the test kernel and Debian 12's 6.1, dkms status says
# installed for both, each module is where DKMS puts it and was built for
# its kernel; dkms remove takes it all away again. Needs root and dkms
# (make deps); exits 77 (skip) without them.

set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
fail() {
	echo "FAIL: dkms: $*"
	exit 1
}
if [ "$(id -u)" -ne 0 ] || ! command -v dkms >/dev/null; then
	echo "SKIP: dkms: needs root and dkms (make deps installs it)"
	exit 77
fi
. "$top/build/kernel.mk"
kernels=("$TEST_KVER")
old=$("$top/scripts/older-kernel.sh")
[ -z "$old" ] || kernels+=("$old")
ver=$(make -s -C "$top" dkms-source | sed -n 's|.*/nvme-ring-io-||p')
[ -n "$ver" ] || fail "make dkms-source gave no version"
mod=nvme-ring-io/$ver
# shellcheck disable=SC2317 # called through the trap
cleanup() {
	dkms remove "$mod" --all >/dev/null 2>&1 || true
	rm -rf "/usr/src/nvme-ring-io-$ver"
}
trap cleanup EXIT
dkms remove "$mod" --all >/dev/null 2>&1 || true
dkms add "$mod" >/dev/null || fail "dkms add $mod"
for k in "${kernels[@]}"; do
	dkms build "$mod" -k "$k" >/tmp/dkms-build.log 2>&1 ||
		fail "dkms build for $k: $(tail -n 5 /tmp/dkms-build.log)"
	dkms install "$mod" -k "$k" >/dev/null 2>&1 || fail "dkms install for $k"
	st=$(dkms status "$mod" -k "$k" 2>/dev/null)
	grep -q "installed" <<<"$st" || fail "dkms status for $k: $st"
	f=$(find "/lib/modules/$k/updates/dkms" -name 'nvme_ring_io.ko*' | head -n 1)
	[ -n "$f" ] || fail "no module in /lib/modules/$k/updates/dkms"
	vm=$(modinfo -F vermagic "$f" | cut -d' ' -f1)
	[ "$vm" = "$k" ] || fail "$f was built for $vm, not $k"
	echo "dkms: $k: $(basename "$f") installed"
done
dkms remove "$mod" --all >/dev/null 2>&1 || fail "dkms remove"
for k in "${kernels[@]}"; do
	[ -z "$(find "/lib/modules/$k/updates/dkms" -name 'nvme_ring_io.ko*' 2>/dev/null)" ] ||
		fail "the module for $k is still installed after dkms remove"
done
echo "dkms: $mod built, installed and removed for ${kernels[*]}"
