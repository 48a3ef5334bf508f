#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything nvme_ring_io needs to build, lint and run its test VM:
# a matching set of Debian 6.12 kernel packages (unsigned image for the guest,
# headers for the out-of-tree build, source for the private NVMe header and
# checkpatch), the same set of Debian 12's 6.1 kernel (the older kernel the
# module supports), QEMU, the userspace libraries and the linters.
#
# Idempotent: when everything is present it only checks and returns.
# With --debug-kernel, also what building a kernel takes (make check-debug).
# With --fio, also Debian's fio source (adding a deb-src entry for the same
# archive when there is none) and fio built from it (scripts/build-fio.sh),
# for the nvmering fio engine.

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
	dkms debhelper dh-dkms lintian fakeroot pkg-config
	sparse shellcheck
	gcc-multilib
)
want_fio=0
for arg in "$@"; do
	case $arg in
	--debug-kernel) BASE_PKGS+=(flex bison libelf-dev libssl-dev) ;;
	--fio) want_fio=1; BASE_PKGS+=(dpkg-dev) ;;
	*) echo "install-deps: unknown option $arg (--debug-kernel, --fio)" >&2; exit 2 ;;
	esac
done

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

# Debian 12's own 6.1 kernel too, which the module also supports and make
# check boots: unsigned image, headers and linux-source-6.1 of one version
# (the one linux-headers-amd64 points to), unless such a set is installed.
if [ -z "$("$(dirname "$0")/older-kernel.sh")" ]; then
	apt_update
	h61=$(apt-cache depends linux-headers-amd64 2>/dev/null |
		awk '/Depends: linux-headers-6\.1\./ { print $2; exit }')
	if [ -n "$h61" ]; then
		v61=$(apt-cache policy "$h61" | awk '/Candidate:/ { print $2 }')
		abi61=${h61#linux-headers-}
		missing+=("linux-image-${abi61}-unsigned=$v61" "$h61=$v61"
			"linux-source-6.1=$v61")
	else
		echo "install-deps: no Debian 6.1 kernel in the archive; make check will not boot one" >&2
	fi
fi

if [ "${#missing[@]}" -gt 0 ]; then
	apt_update
	echo "install-deps: installing ${missing[*]}"
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# deb-src for the archive the binary packages come from, for fio's source
add_deb_src() {
	local uri suite list=/etc/apt/sources.list.d/nvme-ring-io-src.sources

	if apt-cache showsrc fio 2>/dev/null | grep -q '^Package: fio'; then
		return 0
	fi
	uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{ print $2; exit }')
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" { print $2; exit }' \
		/etc/apt/sources.list 2>/dev/null)
	[ -n "$uri" ] || uri=http://deb.debian.org/debian
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	echo "install-deps: adding deb-src $uri $suite main ($list)"
	printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" "$suite" | $SUDO tee "$list" >/dev/null
	updated=0
	apt_update
}
if [ "$want_fio" = 1 ]; then
	add_deb_src
	"$(dirname "$0")/build-fio.sh"
fi

echo "install-deps: kernel ${abi}-amd64 (${src_ver}); all dependencies present"
