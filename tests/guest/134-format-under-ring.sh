#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: the namespace is reformatted to another LBA size under a
# live ring: the ring notices at its next command, goes dead with a log
# line, and sends nothing with the old geometry; a ring enabled after the
# format works with the new one. The namespace is formatted back at the
# end.
. "$(dirname "$0")/lib.sh"

ring_test nri-io
command -v nvme >/dev/null || skip "nvme-cli is not in the image"
dev=/dev/$ns
lbaf_of() {	# lbaf_of LBADS: the index of the format without metadata
	nvme id-ns "$dev" 2>/dev/null |
		sed -n "s/^lbaf *\([0-9]*\) *: *ms:0 *lbads:$1 .*/\1/p" | head -n 1
}
cur=$(nvme id-ns "$dev" 2>/dev/null | sed -n 's/^lbaf *\([0-9]*\) .*(in use).*/\1/p')
lbads=$(nvme id-ns "$dev" 2>/dev/null | sed -n 's/^lbaf .*lbads:\([0-9]*\) .*(in use).*/\1/p')
other=12
[ "$lbads" = 12 ] && other=9
to=$(lbaf_of "$other")
if [ -z "$cur" ] || [ -z "$to" ]; then
	skip "no LBA format with $((1 << other))-byte blocks to switch to"
fi
trap 'nvme format "$dev" --lbaf="$cur" --force >/dev/null 2>&1; ring_down fm; ring_down fm2' EXIT

ring_up fm cpus="$(cat /sys/devices/system/cpu/online)"
nri-io --nlb 8 write fm >/dev/null || fail "write before the format"
nvme format "$dev" --lbaf="$to" --force >/dev/null 2>&1 || skip "nvme format to lbaf $to failed"
info "formatted from lbaf $cur ($((1 << lbads)) bytes) to $to ($((1 << other)) bytes)"
dmesg -c >/dev/null
s0=$(cat "$NRI_SYS/fm/submitted")
nri-io --nlb 8 --lba-size $((1 << lbads)) write fm >/dev/null 2>&1 && fail "a write went through with the old geometry"
dmesg | grep -q "fm: namespace .* changed under the ring" || fail "no log line for the format"
[ "$(cat "$NRI_SYS/fm/state")" = dead ] || fail "state $(cat "$NRI_SYS/fm/state") after the format"
[ "$(cat "$NRI_SYS/fm/inflight")" = 0 ] || fail "inflight after the format"
info "$(( $(cat "$NRI_SYS/fm/submitted") - s0 )) commands refused after the format"

ring_up fm2 cpus="$(cat /sys/devices/system/cpu/online)"
nri-io --nlb 8 --lba-size $((1 << other)) write fm2 >/dev/null || fail "write with the new format"
nri-io --nlb 8 --lba-size $((1 << other)) verify fm2 >/dev/null || fail "verify with the new format"
pass
