#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lint nvme_ring_io. Every check must be clean; any warning fails it.
#   checkpatch  scripts/checkpatch.pl --strict --no-tree -f (from the
#               installed kernel source, extracted into build/ksrc) on the
#               module's C files and the uapi header
#   W=1         a module build with extra compiler warnings
#   sparse      a module build with C=2 CHECK=sparse
#   shell lint  shellcheck on scripts/*.sh, tests/**/*.sh, .ci/run
# The two builds run on a fresh copy of the module sources in build/lint/,
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

# kbuild_lint NAME DIR ARGS...: build a fresh copy of the module in
# build/lint/DIR with ARGS; fail on a build error or any "warning:" /
# "error:" line.
kbuild_lint() {
	local name=$1 dir=$out/$2
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r Kbuild src include "$dir/"
	[ -d configfs ] && cp -r configfs "$dir/"
	find "$dir" \( -name '*.o' -o -name '.*.cmd' -o -name '*.ko' -o -name '*.mod*' \) -delete
	flock "$top/build/.kbuild.lock" \
		make -C "$KDIR" M="$dir" CONFIG_NVME_RING_IO=m \
		NVME_HOST_INC="$top/build/ksrc/drivers/nvme/host" "$@" modules \
		>"$dir.raw.log" 2>&1
	local rc=$?
	# Name files as in the tree, not as in the copy.
	sed "s|$dir/||g" "$dir.raw.log" >"$dir.log"
	if grep -Eiq 'warning:|error:' "$dir.log"; then
		rc=1
		grep -Ei -B2 -A3 'warning:|error:' "$dir.log" >"$dir.short.log"
	else
		tail -n 30 "$dir.log" >"$dir.short.log"
	fi
	result "$name" "$rc" "$dir.short.log"
}
kbuild_lint W=1 w1 W=1
kbuild_lint sparse sparse C=2 CHECK=sparse

sh_files=(scripts/*.sh tests/**/*.sh)
[ -f .ci/run ] && sh_files+=(.ci/run)
shellcheck -x "${sh_files[@]}" >"$out/shellcheck.log" 2>&1
result shellcheck $? "$out/shellcheck.log"

[ "$tap" = 1 ] && echo "1..$n"
exit "$failed"
