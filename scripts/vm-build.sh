#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs of the nvme_ring_io test VM.
#
# Usage: vm-build.sh OUT_INITRD TEST_FILE...
#
# The image is two concatenated cpio archives (the kernel unpacks them in
# order, later entries replacing earlier ones):
#   base  cached in build/vm/base-<KVER>-<hash>.cpio: busybox-static with its
#         applet links, bash, nvme-cli and their shared libraries, the kernel
#         modules the tests need (decompressed, depmod'ed), /etc/passwd and
#         /etc/group with root and the plain user nritest (uid/gid 1000).
#   run   made for every boot: /init (scripts/vm-init.sh), our module as
#         /lib/modules/<KVER>/extra/nvme_ring_io.ko with a fresh depmod, the
#         userspace binaries and libraries from build/userspace/ (bin/ and
#         the test clients of tests-bin/ into /usr/bin), the test
#         scripts with tests/guest/lib.sh under /tests, /etc/nri-vm.conf and
#         any VM_EXTRA_FILES.
#
# Environment:
#   NRI_KO              module to install (default ./nvme_ring_io.ko if present;
#                       "none" installs no module)
#   VM_EXTRA_FILES      space-separated HOSTPATH[:GUESTPATH] (default GUESTPATH
#                       /extra/<basename>)
#   VM_EXTRA_BINS       host programs (names or paths) to copy, with their
#                       libraries, into the guest's /usr/bin
#   VM_EXTRA_MODULES    more kernel modules (names) to put in the base image
#   VM_CONF             file whose contents become /etc/nri-vm.conf

set -euo pipefail

die() {
	echo "vm-build: $*" >&2
	exit 1
}

[ "$#" -ge 1 ] || die "usage: vm-build.sh OUT_INITRD TEST_FILE..."
out=$1
shift

top=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$top/scripts/kernel-env.sh")"
: "${KVER:?}"

# MODROOT: where another kernel's modules are installed (debug-kernel.sh)
modroot=${MODROOT:-}
moddir=$modroot/lib/modules/$KVER
[ -d "$moddir" ] || die "$moddir is missing: run 'make deps'"

vmdir=$top/build/vm
mkdir -p "$vmdir"

# Kernel modules the guest gets, with their dependencies.
BASE_MODULES="configfs nvme-core nvme nvme-auth nvme-keyring nvme-fabrics
nvme-loop nvmet nvme-tcp nvmet-tcp null_blk ${VM_EXTRA_MODULES:-}"

hash=$( (cat "$0"; echo "$BASE_MODULES") | sha256sum | cut -c1-12)
base=$vmdir/base-$KVER-$hash.cpio

# Copy host binary $1 (and the shared libraries ldd names) into root $2.
copy_with_libs() {
	local bin=$1 root=$2 dst=${3:-$1} lib
	install -D -m 0755 "$bin" "$root$dst"
	# ldd fails on static binaries: that is fine, they need nothing.
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' || true); do
		# Our own libraries are installed into /usr/lib separately.
		case $lib in "${OWN_LIBS:-/nonexistent}"/*) continue ;; esac
		[ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
}

# Resolve module names to their paths relative to $moddir, dependencies
# included (modules.dep lists the full closure of each module).
module_closure() {
	local m path
	for m in "$@"; do
		path=$(modinfo ${modroot:+-b "$modroot"} -k "$KVER" -n "$m" 2>/dev/null) || {
			echo "vm-build: kernel module $m not found, skipped" >&2
			continue
		}
		path=${path#"$moddir"/}
		awk -v p="$path" -F': *' '$1 == p { print $1; n = split($2, d, " "); for (i = 1; i <= n; i++) print d[i] }' \
			"$moddir/modules.dep"
	done | sort -u
}

make_cpio() {
	(cd "$1" && find . -mindepth 1 -printf "%P\n" | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
}

build_base() {
	local root=$1 name m
	mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,tmp,run,root,tests,extra}
	# Merged /usr, as on the host, so ldd's paths resolve in the guest.
	ln -s usr/bin "$root/bin"
	ln -s usr/sbin "$root/sbin"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"

	install -m 0755 /bin/busybox "$root/usr/bin/busybox"
	# Never link the name "busybox" itself: that replaces the binary with a
	# link to itself.
	for name in $(/bin/busybox --list-full); do
		[ "${name##*/}" = busybox ] && continue
		case $name in
		bin/* | usr/bin/*) m=usr/bin ;;
		*) m=usr/sbin ;;
		esac
		[ -e "$root/$m/${name##*/}" ] || ln -s /usr/bin/busybox "$root/$m/${name##*/}"
	done

	copy_with_libs /bin/bash "$root" /usr/bin/bash
	if command -v nvme >/dev/null; then
		copy_with_libs "$(command -v nvme)" "$root" /usr/sbin/nvme
	else
		echo "vm-build: nvme-cli is not installed; the image has no nvme tool" >&2
	fi

	read -r -d "" -a mods <<<"$BASE_MODULES" || true
	local gmoddir=$root/lib/modules/$KVER
	for m in $(module_closure "${mods[@]}"); do
		install -D -m 0644 "$moddir/$m" "$gmoddir/$m"
		case $m in
		*.xz) xz -d "$gmoddir/$m" ;;
		*.zst) zstd -q -d --rm "$gmoddir/$m" ;;
		*.gz) gzip -d "$gmoddir/$m" ;;
		esac
	done
	cp "$moddir"/modules.order "$moddir"/modules.builtin* "$gmoddir/" 2>/dev/null || true
	depmod -b "$root" "$KVER"

	cat >"$root/etc/passwd" <<-PASSWD
		root:x:0:0:root:/root:/bin/sh
		nritest:x:1000:1000:nvme_ring_io test user:/tmp:/bin/sh
	PASSWD
	cat >"$root/etc/group" <<-GROUP
		root:x:0:
		nritest:x:1000:
	GROUP
	echo "root:*:19000:0:99999:7:::" >"$root/etc/shadow"
	echo "nritest:*:19000:0:99999:7:::" >>"$root/etc/shadow"
	chmod 0600 "$root/etc/shadow"
	chmod 1777 "$root/tmp"
}

# The base image is shared by concurrent runs: build it once, under a lock.
exec 9>"$vmdir/.base.lock"
flock 9
if [ ! -s "$base" ]; then
	echo "vm-build: building base image for $KVER (cached in ${base#"$top"/})" >&2
	rm -f "$vmdir"/base-"$KVER"-*.cpio
	tmp=$(mktemp -d "$vmdir/base.XXXXXX")
	build_base "$tmp/root"
	make_cpio "$tmp/root" >"$base.tmp"
	mv "$base.tmp" "$base"
	rm -rf "$tmp"
fi
flock -u 9

run=$(mktemp -d "$vmdir/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
root=$run/root
mkdir -p "$root"/{tests,etc,usr/bin,usr/sbin,usr/lib,usr/lib64,extra}
# The same merged-/usr links as the base: a real /lib folder here would
# replace the base's /lib link when the kernel unpacks this archive.
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"

install -m 0755 "$top/scripts/vm-init.sh" "$root/init"

ko=${NRI_KO:-}
if [ -z "$ko" ] && [ -f "$top/nvme_ring_io.ko" ]; then
	ko=$top/nvme_ring_io.ko
fi
if [ -n "$ko" ] && [ "$ko" != none ]; then
	[ -f "$ko" ] || die "module $ko does not exist"
	# depmod needs the whole tree: unpack the base's module folder next to
	# ours, then ship only the new index files and our module.
	mkdir -p "$run/dep"
	(cd "$run/dep" && cpio -i -d --quiet "lib/modules/*" "usr/lib/modules/*" <"$base")
	mkdir -p "$run/dep/usr/lib/modules/$KVER/extra"
	install -m 0644 "$ko" "$run/dep/usr/lib/modules/$KVER/extra/nvme_ring_io.ko"
	depmod -b "$run/dep/usr" "$KVER"
	mkdir -p "$root/usr/lib/modules/$KVER"
	cp -r "$run/dep/usr/lib/modules/$KVER/extra" "$run/dep/usr/lib/modules/$KVER"/modules.* \
		"$root/usr/lib/modules/$KVER/"
fi

# Userspace: binaries with their libraries, our own libraries.
ubuild=$top/build/userspace
if [ -d "$ubuild/lib" ]; then
	for f in "$ubuild"/lib/*.so*; do
		[ -e "$f" ] || continue
		cp -a "$f" "$root/usr/lib/"
	done
fi
# bin/ holds the programs, tests-bin/ the test clients (tests/clients).
for f in "$ubuild"/bin/* "$ubuild"/tests-bin/*; do
	if [ ! -f "$f" ] || [ ! -x "$f" ]; then
		continue
	fi
	LD_LIBRARY_PATH=$ubuild/lib OWN_LIBS=$ubuild/lib \
		copy_with_libs "$f" "$root" "/usr/bin/${f##*/}"
done

# fio and the nvmering fio engine, when built (scripts/build-fio.sh, then
# make userspace): /usr/bin/fio, /usr/lib/nvme-ring/nvmering-fio.so.
if [ -x "$top/build/fio/fio" ]; then
	copy_with_libs "$top/build/fio/fio" "$root" /usr/bin/fio
fi
if [ -f "$ubuild/fio/nvmering-fio.so" ]; then
	install -D -m 0755 "$ubuild/fio/nvmering-fio.so" \
		"$root/usr/lib/nvme-ring/nvmering-fio.so"
fi

# Tests: one folder, lib.sh next to them, LIST keeps the order.
install -m 0644 "$top/tests/guest/lib.sh" "$root/tests/lib.sh"
: >"$root/tests/LIST"
for t in "$@"; do
	[ -f "$t" ] || die "test $t does not exist"
	b=${t##*/}
	[ "$b" != lib.sh ] || continue
	[ ! -e "$root/tests/$b" ] || die "two tests named $b"
	install -m 0755 "$t" "$root/tests/$b"
	echo "$b" >>"$root/tests/LIST"
done

for spec in ${VM_EXTRA_FILES:-}; do
	src=${spec%%:*}
	dst=/extra/${src##*/}
	[ "$spec" = "$src" ] || dst=${spec#*:}
	[ -e "$src" ] || die "VM_EXTRA_FILES: $src does not exist"
	install -D -m 0755 "$src" "$root$dst"
done

# Host binaries for the guest's /usr/bin, with their libraries (e.g. perf
# for profiling the guest kernel).
for bin in ${VM_EXTRA_BINS:-}; do
	src=$(command -v "$bin") || die "VM_EXTRA_BINS: $bin is not installed"
	copy_with_libs "$(readlink -f "$src")" "$root" "/usr/bin/${bin##*/}"
done

if [ -n "${VM_CONF:-}" ]; then
	cp "$VM_CONF" "$root/etc/nri-vm.conf"
fi

{
	cat "$base"
	make_cpio "$root"
} >"$out.tmp"
mv "$out.tmp" "$out"
