#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything nvme_ring_io needs to build, lint and run its test VM:
# a matching set of Debian 6.12 kernel packages (unsigned image for the guest,
# headers for the out-of-tree build, source for the private NVMe header and
# checkpatch), QEMU, the userspace libraries and the linters.
#
# Idempotent: when everything is present it only checks and returns.
# With --debug-kernel, also what building a kernel takes (make check-debug).

set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
export INITRD=No

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi

BASE_PKGS=(
	build-essential make gcc libc6-dev bc kmod cpio xz-utils
	qemu-system-x86 qemu-utils busybox-static
	liburing-dev libnuma-dev nvme-cli
	sparse shellcheck
	gcc-multilib
)
if [ "${1:-}" = --debug-kernel ]; then
	BASE_PKGS+=(flex bison libelf-dev libssl-dev)
fi

missing=()
for p in "${BASE_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done

updated=0
apt_update() {
	if [ "$updated" -eq 0 ]; then
		$SUDO apt-get update -q
		updated=1
	fi
}

# The kernel trio must be one version. Prefer the linux-source-6.12 already
# installed; otherwise take the newest one the archive offers.
src_ver=$(dpkg-query -W -f='${Status} ${Version}' linux-source-6.12 2>/dev/null |
	awk '/ok installed/ {print $4}' || true)
if [ -z "$src_ver" ]; then
	apt_update
	src_ver=$(apt-cache policy linux-source-6.12 | awk '/Candidate:/ {print $2}')
fi
if [ -z "$src_ver" ] || [ "$src_ver" = "(none)" ]; then
	echo "install-deps: linux-source-6.12 is not available from apt" >&2
	exit 1
fi
# 6.12.117-1~deb12u1 -> 6.12.117+deb12
upstream=${src_ver%%-*}
abi="${upstream}+deb12"

KPKGS=(
	"linux-source-6.12=${src_ver}"
	"linux-image-${abi}-amd64-unsigned=${src_ver}"
	"linux-headers-${abi}-amd64=${src_ver}"
)
for spec in "${KPKGS[@]}"; do
	p=${spec%%=*}
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$spec")
done

if [ "${#missing[@]}" -gt 0 ]; then
	apt_update
	echo "install-deps: installing ${missing[*]}"
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "install-deps: kernel ${abi}-amd64 (${src_ver}); all dependencies present"
