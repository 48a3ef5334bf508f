#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel facts the build needs, as make-style assignments:
#   KVER      the installed Debian 6.12 kernel ABI (e.g. 6.12.117+deb12-amd64)
#   KDIR      its headers (the out-of-tree build directory)
#   KIMAGE    its bootable image, for the test VM
# Everything is derived from the installed linux-source-6.12 package, never
# from the running kernel. With NRI_KERNEL_ENV set to a file of such facts
# (scripts/debug-kernel.sh writes one, with MODROOT, NRI_KO and KCMDLINE, what
# the kernel command line needs), that
# file's facts come first: the test VM then boots that kernel.

set -euo pipefail

if [ -n "${NRI_KERNEL_ENV:-}" ]; then
	[ -r "$NRI_KERNEL_ENV" ] || {
		echo "kernel-env: NRI_KERNEL_ENV=$NRI_KERNEL_ENV is not readable" >&2
		exit 1
	}
	cat "$NRI_KERNEL_ENV"
	echo "KSRC_TAR=/usr/src/linux-source-6.12.tar.xz"
	exit 0
fi

src_ver=$(dpkg-query -W -f='${Status} ${Version}' linux-source-6.12 2>/dev/null |
	awk '/ok installed/ {print $4}' || true)
if [ -z "$src_ver" ]; then
	echo "kernel-env: linux-source-6.12 is not installed; run 'make deps'" >&2
	exit 1
fi
kver="${src_ver%%-*}+deb12-amd64"
echo "KVER=$kver"
echo "KDIR=/usr/src/linux-headers-$kver"
echo "KIMAGE=/boot/vmlinuz-$kver"
echo "KSRC_TAR=/usr/src/linux-source-6.12.tar.xz"
