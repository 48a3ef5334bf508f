#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: restore follows namespaces, not device names: two rings on
# the namespaces of two controllers are saved and cleared, both
# controllers are unbound from the nvme driver and bound back in the other
# order (so each namespace now has the other's name), and restore puts
# each ring back on its own namespace, saying it moved: the data each ring
# wrote before verifies through it after.
# TOPOLOGY: any
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring nri-io
read -r -a nss <<<"$(nvme_namespaces | tr '\n' ' ')"
[ "${#nss[@]}" -ge 2 ] || skip "needs two NVMe controllers (vm-test.sh VM_NVME=2; make check's 3-node boot has them)"
a=${nss[0]}
b=${nss[1]}
sa=$(ns_serial "$a")
sb=$(ns_serial "$b")
[ "$sa" != "$sb" ] || skip "the controllers have one serial"
pci() {
	basename "$(readlink -f "/sys/block/$1/device/device")"
}
pa=$(pci "$a")
pb=$(pci "$b")
f=/tmp/moved.json
trap 'nvme-ring clear >/dev/null 2>&1' EXIT
cleanup_rings mva mvb

nvme-ring create mva --device "/dev/$a" --depth 64 >/dev/null || fail "create mva"
nvme-ring create mvb --device "/dev/$b" --depth 128 >/dev/null || fail "create mvb"
nri-io --nlb 256 --seed 2071 write mva >/dev/null || fail "write through mva"
nri-io --nlb 256 --seed 2072 write mvb >/dev/null || fail "write through mvb"
nvme-ring save "$f" >/dev/null || fail "save"
nvme-ring clear >/dev/null || fail "clear"

# unbind both, bind back in the other order: the names swap
echo "$pa" >/sys/bus/pci/drivers/nvme/unbind || fail "unbind $pa"
echo "$pb" >/sys/bus/pci/drivers/nvme/unbind || fail "unbind $pb"
echo "$pb" >/sys/bus/pci/drivers/nvme/bind || fail "bind $pb"
wait_for 10 test -e "/sys/block/$a"
echo "$pa" >/sys/bus/pci/drivers/nvme/bind || fail "bind $pa"
wait_for 10 test -e "/sys/block/$b"
if [ "$(ns_serial "$a")" != "$sb" ] || [ "$(ns_serial "$b")" != "$sa" ]; then
	fail "the names did not swap after rebinding ($a: $(ns_serial "$a"), $b: $(ns_serial "$b"))"
fi
info "after rebinding: $a is $(ns_serial "$a"), $b is $(ns_serial "$b")"

out=$(nvme-ring restore "$f" 2>&1) || fail "restore: $out"
info "$(tr '\n' ';' <<<"$out")"
grep -q "mva: .* is now /dev/$b" <<<"$out" || fail "restore does not say mva moved: $out"
[ "$(cat "$NRI_CFS/mva/device")" = "/dev/$b" ] || fail "mva is on $(cat "$NRI_CFS/mva/device"), not /dev/$b"
[ "$(cat "$NRI_CFS/mvb/device")" = "/dev/$a" ] || fail "mvb is on $(cat "$NRI_CFS/mvb/device"), not /dev/$a"
[ "$(cat "$NRI_CFS/mvb/sq_entries")" = 128 ] || fail "mvb's attributes were not restored"
nri-io --nlb 256 --seed 2071 verify mva >/dev/null || fail "mva's data does not verify: the wrong namespace"
nri-io --nlb 256 --seed 2072 verify mvb >/dev/null || fail "mvb's data does not verify: the wrong namespace"
pass
