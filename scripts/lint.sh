#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lint nvme_ring_io. Every check must be clean; any warning fails it.
#   checkpatch  scripts/checkpatch.pl --strict --no-tree -f (from the
#               installed kernel source, extracted into build/ksrc) on the
#               module's C files and the uapi header
#   W=1         a module build with extra compiler warnings
#   sparse      C=2 CHECK=sparse, in the same build
#   shell lint  shellcheck on scripts/*.sh, tests/**/*.sh, .ci/run
# The build runs on a fresh copy of the module sources in build/lint/,
# so every file is compiled (and warned about) every time, and the normal
# build in the tree is left alone.
#
# Usage: lint.sh [--tap]   (--tap prints one TAP line per check)

set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
eval "$(env -u NRI_KERNEL_ENV scripts/kernel-env.sh)"

tap=0
[ "${1:-}" = --tap ] && tap=1
out=$top/build/lint
mkdir -p "$out"
. scripts/lib.sh
tree_lock "$top/build/.lint.lock" "lint: another lint is running in this tree; waiting for it"
n=0
failed=0

result() {
	local name=$1 rc=$2 log=$3
	n=$((n + 1))
	if [ "$rc" -eq 0 ]; then
		[ "$tap" = 1 ] && echo "ok $n - lint/$name"
		[ "$tap" = 1 ] || echo "lint: $name: clean"
	else
		failed=1
		if [ "$tap" = 1 ]; then
			echo "not ok $n - lint/$name"
			sed 's/^/#   /' "$log" | head -n 80
		else
			echo "lint: $name: FAILED"
			head -n 200 "$log"
		fi
	fi
}

shopt -s nullglob globstar

# checkpatch finds spelling.txt and const_structs.checkpatch next to itself.
cp_files=(src/*.[ch] configfs/*.[ch] include/uapi/linux/*.h tests/harness/warn_module/*.c)
checkpatch=$top/build/ksrc/scripts/checkpatch.pl
if [ ! -f "$checkpatch" ]; then
	scripts/extract-ksrc.sh "$KSRC_TAR" "$top/build/ksrc"
fi
# src/compat.h exists to test kernel versions (an in-tree copy would not
# have it): there, and only there, LINUX_VERSION_CODE is allowed.
compat=()
for i in "${!cp_files[@]}"; do
	if [ "${cp_files[$i]}" = src/compat.h ]; then
		compat=(src/compat.h)
		unset "cp_files[$i]"
	fi
done
if [ "${#cp_files[@]}" -gt 0 ]; then
	perl "$checkpatch" --strict --no-tree --no-summary --terse \
		-f "${cp_files[@]}" >"$out/checkpatch.log" 2>&1
	rc=$?
	if [ "${#compat[@]}" -gt 0 ]; then
		perl "$checkpatch" --strict --no-tree --no-summary --terse \
			--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_ARG_REUSE \
			-f "${compat[@]}" >>"$out/checkpatch.log" 2>&1 || rc=1
	fi
else
	echo "no C sources" >"$out/checkpatch.log"
	rc=0
fi
result checkpatch "$rc" "$out/checkpatch.log"

# One build for both, W=1 and sparse (C=2 checks every file): gcc's
# warnings end with their option ([-Wunused-...]), sparse's do not; a
# build that fails fails both.
kbuild_lint_both() {
	local dir=$out/w1-sparse rc
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r Kbuild src include "$dir/"
	[ -d configfs ] && cp -r configfs "$dir/"
	find "$dir" \( -name '*.o' -o -name '.*.cmd' -o -name '*.ko' -o -name '*.mod*' \) -delete
	flock "$top/build/.kbuild.lock" \
		make -C "$KDIR" M="$dir" CONFIG_NVME_RING_IO=m \
		NVME_HOST_INC="$top/build/ksrc/drivers/nvme/host" W=1 C=2 CHECK=sparse \
		modules >"$dir.raw.log" 2>&1
	rc=$?
	sed "s|$dir/||g" "$dir.raw.log" >"$dir.log"
	grep -E 'warning:.*\[-W' "$dir.log" >"$out/w1.short.log"
	grep -E 'warning:|error:' "$dir.log" | grep -v '\[-W' >"$out/sparse.short.log"
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$dir.log" >>"$out/w1.short.log"
		tail -n 30 "$dir.log" >>"$out/sparse.short.log"
	fi
	[ -s "$out/w1.short.log" ] && w1=1 || w1=0
	[ -s "$out/sparse.short.log" ] && sp=1 || sp=0
	result W=1 "$w1" "$out/w1.short.log"
	result sparse "$sp" "$out/sparse.short.log"
}
kbuild_lint_both

sh_files=(scripts/*.sh tests/**/*.sh)
[ -f .ci/run ] && sh_files+=(.ci/run)
# one shellcheck per few files, on every CPU: -x reads lib.sh for each
printf '%s\0' "${sh_files[@]}" |
	xargs -0 -n 6 -P "$(nproc)" shellcheck -x >"$out/shellcheck.log" 2>&1
result shellcheck $? "$out/shellcheck.log"

[ "$tap" = 1 ] && echo "1..$n"
exit "$failed"
