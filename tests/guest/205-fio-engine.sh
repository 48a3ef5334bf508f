#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: fio drives a ring through the nvmering external engine:
# random writes then a verifying read-back (crc32c) in each submission
# mode (wait, ioctl, and sqpoll on a ring with an SQ poller), with no
# error, and the ring's counters show the commands. A missing ring is
# refused with a message naming it.
. "$(dirname "$0")/lib.sh"

engine=/usr/lib/nvme-ring/nvmering-fio.so
ring_test fio
[ -f "$engine" ] ||
	skip "$engine is not in the image (scripts/install-deps.sh --fio, then make userspace)"
trap 'ring_down fe; ring_down fesq' EXIT
cpu=$(online_cpus | head -n 1)
ring_up fe cpus="$cpu" sq_entries=64 cq_entries=64 data_size=4M
ring_up fesq cpus="$cpu" sq_entries=64 cq_entries=64 data_size=4M sq_poll=1

# job RING MODE SEED: write 4 MiB at random, then read it back verified
job() {
	local ring=$1 mode=$2 seed=$3 out
	out=$(fio --name="fe-$mode" --ioengine="external:$engine" \
		--filename="/dev/nvme_ring/$ring" --ring_submit="$mode" \
		--rw=randwrite --bs=4k --size=4M --iodepth=16 \
		--iodepth_batch_submit=8 --verify=crc32c --do_verify=1 \
		--randseed="$seed" --output-format=json 2>&1) ||
		fail "fio ($mode on $ring) failed: $(tail -n 5 <<<"$out")"
	grep -q '"error" : 0' <<<"$out" || fail "fio ($mode) reported an error: $(grep '"error"' <<<"$out" | head -n 2)"
	grep -q '"verify_errors"' <<<"$out" && ! grep -q '"verify_errors" : 0' <<<"$out" &&
		fail "fio ($mode) reported verify errors"
	info "fio $mode on $ring: $(grep -m 1 '"total_ios"' <<<"$out" | tr -d ' ,')"
}

before=$(cat "$NRI_SYS/fe/submitted")
job fe wait 205
job fe ioctl 206
after=$(cat "$NRI_SYS/fe/submitted")
# two jobs of 1024 writes and 1024 verifying reads each
[ $((after - before)) -ge 4096 ] || fail "the ring saw $((after - before)) commands, not 4096"
job fesq sqpoll 207

out=$(fio --name=missing --ioengine="external:$engine" \
	--filename=/dev/nvme_ring/no-such-ring --rw=read --bs=4k --size=1M 2>&1) &&
	fail "fio on a missing ring succeeded"
grep -q "no-such-ring" <<<"$out" || fail "the error does not name the ring: $out"
pass
