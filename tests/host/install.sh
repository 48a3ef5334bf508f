#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install and make uninstall into a scratch DESTDIR, as a package
# build would: every file where the variables say, the library by its real
# name with its links, a pc file for the LIBDIR it went to, a program built
# against the installed headers and library with pkg-config, a systemd
# unit that systemd-analyze verifies, and nothing left after uninstall.
# Run from the top of the tree (make check does).

set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
vars=(DESTDIR="$dest" PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu)
fail() {
	echo "FAIL: install: $*"
	exit 1
}

. "$top/build/kernel.mk"
# the test kernel's module, whatever kernel runs here
vars+=(KVER="$TEST_KVER")
make -s -C "$top" install "${vars[@]}" >/dev/null || fail "make install"
lib=$dest/usr/lib/x86_64-linux-gnu
version=$(awk '/^Version:/ { print $2 }' "$lib/pkgconfig/libnvmering.pc")
for f in "lib/modules/$TEST_KVER/updates/nvme_ring_io.ko" \
	usr/sbin/nvme-ring usr/include/nvmering.h usr/include/nvmering-uring.h \
	usr/include/linux/nvme_ring_io.h usr/share/man/man8/nvme-ring.8 \
	usr/share/man/man3/libnvmering.3 \
	usr/share/man/man3/nvmering_submit_and_wait.3 \
	usr/lib/systemd/system/nvme-ring.service usr/lib/modules-load.d/nvme-ring.conf \
	"usr/lib/x86_64-linux-gnu/libnvmering.so.$version" \
	usr/lib/x86_64-linux-gnu/libnvmering.a; do
	[ -f "$dest/$f" ] || fail "/$f is missing"
done
[ "$(readlink "$lib/libnvmering.so.1")" = "libnvmering.so.$version" ] ||
	fail "libnvmering.so.1 does not point to the real name"
[ "$(readlink "$lib/libnvmering.so")" = libnvmering.so.1 ] ||
	fail "libnvmering.so does not point to the soname"
soname=$(objdump -p "$lib/libnvmering.so.$version" | awk '/SONAME/ { print $2 }')
[ "$soname" = libnvmering.so.1 ] || fail "soname is $soname"
grep -qx 'libdir=/usr/lib/x86_64-linux-gnu' "$lib/pkgconfig/libnvmering.pc" ||
	fail "the pc file's libdir: $(grep libdir= "$lib/pkgconfig/libnvmering.pc")"
grep -qx 'ExecStart=/usr/sbin/nvme-ring restore' "$dest/usr/lib/systemd/system/nvme-ring.service" ||
	fail "nvme-ring.service does not run /usr/sbin/nvme-ring restore"
# the unit as systemd reads it (offline; nothing is started): no unknown
# key, no bad dependency, its command there and executable
if command -v systemd-analyze >/dev/null; then
	sed "s|=/usr/sbin/|=$dest/usr/sbin/|" "$dest/usr/lib/systemd/system/nvme-ring.service" \
		>"$dest/verify.service"
	out=$(systemd-analyze verify --man=no "$dest/verify.service" 2>&1) ||
		fail "systemd-analyze verify nvme-ring.service: $out"
	[ -z "$out" ] || fail "systemd-analyze verify nvme-ring.service: $out"
	unit="the unit verified by systemd-analyze"
else
	unit="the unit NOT verified (no systemd-analyze here)"
fi
[ -z "$(ls "$dest/usr/bin" 2>/dev/null)" ] || fail "programs in bin: $(ls "$dest/usr/bin")"
for f in "$dest"/usr/sbin/*; do
	[ "${f##*/}" = nvme-ring ] || fail "more than nvme-ring in sbin: ${f##*/}"
done

# a consumer, through pkg-config, against what was installed
cat >"$dest/use.c" <<'C'
#include <nvmering.h>
#include <nvmering-uring.h>
int main(void)
{
	return nvmering_version_major() == NVMERING_VERSION_MAJOR ? 0 : 1;
}
C
flags=$(PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$lib/pkgconfig \
	pkg-config --cflags --libs libnvmering)
# shellcheck disable=SC2086 # the flags are words
cc -o "$dest/use" "$dest/use.c" $flags -luring || fail "a program against the installed library does not build: cc $flags"
LD_LIBRARY_PATH=$lib "$dest/use" || fail "the program's library version differs"

make -s -C "$top" uninstall "${vars[@]}" >/dev/null || fail "make uninstall"
rm -f "$dest/use" "$dest/use.c" "$dest/verify.service"
left=$(find "$dest" -type f -o -type l)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "install: all files where the variables say, uninstall removes them; library $version; $unit"
