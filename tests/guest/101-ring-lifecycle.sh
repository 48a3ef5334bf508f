#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: rings come and go cleanly: rmdir while a client holds the
# device, 30 create/destroy cycles without memory growth, concurrent
# mkdir/rmdir from several shells, and module unload afterwards.
# KERNELS: 6.1
. "$(dirname "$0")/lib.sh"

require_module
first_ns >/dev/null

# rmdir while a client holds the device open (and mapped, through nri-io)
ring_up held
exec 3<>/dev/nvme_ring/held || fail "open /dev/nvme_ring/held"
rmdir "$NRI_CFS/held" || fail "rmdir with an open client"
[ ! -e /dev/nvme_ring/held ] || fail "device node survived rmdir"
[ ! -e "$NRI_SYS/held" ] || fail "sysfs directory survived rmdir"
exec 3>&-
# the module is busy only while something holds it
ring_up held2
require_tool nri-io
nri-io --nlb 8 write held2 >/dev/null || fail "I/O on held2"
ring_down held2

# 15 cycles: memory comes back. A few warm-up cycles first, so per-CPU
# page lists and lazily freed vmap areas reach their steady state.
cycles() {
	local i
	for i in $(seq 1 "$1"); do
		mkdir "$NRI_CFS/cyc" || fail "cycle $i: mkdir"
		echo "/dev/$(first_ns)" >"$NRI_CFS/cyc/device" || fail "cycle $i: device"
		echo 1 >"$NRI_CFS/cyc/enable" || fail "cycle $i: enable"
		echo 0 >"$NRI_CFS/cyc/enable" || fail "cycle $i: disable"
		rmdir "$NRI_CFS/cyc" || fail "cycle $i: rmdir"
	done
	sync
	echo 3 >/proc/sys/vm/drop_caches
}
cycles 3
free0=$(meminfo_kb MemFree)
slab0=$(slab_kb)
cycles 15
free1=$(meminfo_kb MemFree)
slab1=$(slab_kb)
info "MemFree $free0 -> $free1 KiB, slab $slab0 -> $slab1 KiB"
# One ring is about 12 MiB: 15 leaked rings would be over 175 MiB. MemFree
# itself moves by tens of MiB here (per-CPU page lists, lazily freed vmap
# areas), so the exact check is the module's own count at unload, below.
[ $((free0 - free1)) -lt 65536 ] || fail "MemFree fell by $((free0 - free1)) KiB over 15 cycles"
[ $((slab1 - slab0)) -lt 4096 ] || fail "slab grew by $((slab1 - slab0)) KiB over 15 cycles"

# concurrent mkdir/enable/rmdir from several shells, some on the same names
worker() {
	local w=$1 i n
	for i in $(seq 1 15); do
		n="cc$((i % 3))"
		mkdir "$NRI_CFS/$n" 2>/dev/null || continue
		echo "/dev/$(first_ns)" >"$NRI_CFS/$n/device" 2>/dev/null
		echo 1 >"$NRI_CFS/$n/enable" 2>/dev/null
		rmdir "$NRI_CFS/$n" 2>/dev/null
		mkdir "$NRI_CFS/w$w" && rmdir "$NRI_CFS/w$w" ||
			echo "worker $w: own ring failed" >>/tmp/cc.err
	done
}
rm -f /tmp/cc.err
for w in 1 2 3 4; do worker "$w" & done
wait
[ ! -s /tmp/cc.err ] || fail "$(cat /tmp/cc.err)"
for d in "$NRI_CFS"/*/; do
	[ -d "$d" ] && rmdir "$d"
done
[ -z "$(ls "$NRI_SYS" 2>/dev/null)" ] || fail "rings left in sysfs: $(ls "$NRI_SYS")"

# nothing left: the module unloads, with no ring or ring page held (it says
# so at unload otherwise), and loads again
rmmod nvme_ring_io || fail "rmmod after the cycles"
dmesg | grep "nvme_ring_io: unloaded with" && fail "rings or ring memory leaked"
modprobe nvme_ring_io || fail "modprobe"
pass
