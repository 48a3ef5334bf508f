#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: nvme-ring perf drives every queue through each submission
# path - SUBMIT that also waits (the default), SUBMIT/COMPLETE ioctls,
# io_uring URING_KICK/URING_WAIT_CQ, and the SQ poller - with
# verification.
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring
trap 'nvme-ring destroy ps >/dev/null 2>&1; nvme-ring destroy pp >/dev/null 2>&1' EXIT

nvme-ring create ps --device "/dev/$ns" --cpus "$(cat /sys/devices/system/cpu/online)" \
	--depth 64 >/dev/null || fail "create ps"
for how in wait ioctl uring; do
	nvme-ring perf ps --rw randrw --depth 16 --ios 1000 --size 1M --verify --submit "$how" \
		-o json >/tmp/p.json || fail "perf --submit $how: $(cat /tmp/p.json)"
	grep -q "\"submit\": \"$how\"" /tmp/p.json || fail "json lacks submit $how"
done
rc=0
nvme-ring perf ps --ios 100 --submit sqpoll >/tmp/p.out 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "--submit sqpoll on a ring without a poller succeeded"
grep -q "sq-poll" /tmp/p.out || fail "unclear message: $(cat /tmp/p.out)"
expect_fail nvme-ring perf ps --submit carrier-pigeon

nvme-ring create pp --device "/dev/$ns" --cpus "$(cat /sys/devices/system/cpu/online)" \
	--depth 64 --sq-poll --sq-poll-idle 200 >/dev/null || fail "create with --sq-poll"
[ "$(cat "$NRI_CFS/pp/sq_poll")" = 1 ] || fail "sq_poll not set"
[ "$(cat "$NRI_CFS/pp/sq_poll_idle_ms")" = 200 ] || fail "sq_poll_idle_ms not set"
nvme-ring perf pp --rw randrw --depth 16 --ios 1000 --size 1M --verify --submit sqpoll ||
	fail "perf --submit sqpoll"
nvme-ring perf pp --depth 16 --ios 1000 --size 1M --verify --submit ioctl || fail "perf ioctl on a polled ring"
nvme-ring perf pp --depth 16 --ios 1000 --size 1M --verify --submit wait ||
	fail "perf --submit wait on a ring with an SQ poller"
pass
