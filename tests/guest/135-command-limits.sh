#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: what an administrator bounds beyond the fields: a client's
# command timeout must lie in [timeout_min_ms, timeout_max_ms] (refused
# with EINVAL and a log line otherwise; 0 takes the driver's); an opcode
# the ring does not know is allowed only by number with its transfer
# length (0xNN:<bytes> or 0xNN:ndt), which each command must match, and
# never on a ring with an LBA window; Copy passes with source range format
# 0h only and a data length of its ranges.
. "$(dirname "$0")/lib.sh"

ring_test nri-io
cleanup_rings tl to tw
all=$(cat /sys/devices/system/cpu/online)

rejected_einval='^err -22 status 0x[0-9a-f]+ flags 0x1$'
done_ok='^err 0 status 0x0000 flags 0x0$'
# sent to the device (which may refuse it): not refused by the ring
sent='^err -?[0-9]+ status 0x[0-9a-f]+ flags 0x0$'

# ---- timeouts ----
ring_make tl cpus="$all"
r=$NRI_CFS/tl
[ "$(cat "$r/timeout_min_ms")" = 30000 ] || fail "timeout_min_ms default $(cat "$r/timeout_min_ms")"
[ "$(cat "$r/timeout_max_ms")" = 600000 ] || fail "timeout_max_ms default $(cat "$r/timeout_max_ms")"
[ "$(cat "$r/teardown_timeout_ms")" = 10000 ] || fail "teardown_timeout_ms default"
for bad in 999 86400001 abc -1; do
	dmesg -c >/dev/null
	expect_write_fail "$bad" "$r/timeout_min_ms"
	dmesg | grep -qE "timeout_min_ms: .*(outside|not a number)" || fail "timeout_min_ms '$bad': no log line"
done
expect_write_fail 0 "$r/teardown_timeout_ms"
echo 5000 >"$r/timeout_min_ms" || fail "timeout_min_ms 5000"
echo 2000 >"$r/timeout_max_ms" || fail "timeout_max_ms 2000"
dmesg -c >/dev/null
expect_write_fail 1 "$r/enable"
dmesg | grep -q "timeout_min_ms 5000 is above timeout_max_ms 2000" || fail "no log line for min > max"
echo 2000 >"$r/timeout_min_ms" || fail "timeout_min_ms 2000"
echo 5000 >"$r/timeout_max_ms" || fail "timeout_max_ms 5000"
echo 1 >"$r/enable" || fail "enable with a timeout range"

read_cmd=(--opcode 2 --cdw "12=0" --data-len 512)
dmesg -c >/dev/null
cmd_expect "timeout 1000 below the range" "$rejected_einval" tl "${read_cmd[@]}" --timeout-ms 1000
dmesg | grep -q "tl: queue [0-9]*: .*timeout_ms 1000 is outside the ring's \[2000, 5000\]" ||
	fail "no log line naming the timeout"
cmd_expect "timeout 6000 above the range" "$rejected_einval" tl "${read_cmd[@]}" --timeout-ms 6000
cmd_expect "timeout 3000 in the range" "$done_ok" tl "${read_cmd[@]}" --timeout-ms 3000
cmd_expect "timeout 0 (the driver's, kept in the range)" "$done_ok" tl "${read_cmd[@]}"

# ---- opcodes the fence does not know ----
r=$NRI_CFS/tl
echo 0 >"$r/enable"
dmesg -c >/dev/null
expect_write_fail "read,0x81" "$r/opcodes"
dmesg | grep -q "opcode 0x81 is not one the ring knows: give its transfer length" ||
	fail "no log line asking for 0x81's length"
expect_write_fail "read,0x80:4" "$r/opcodes"      # bits 1:0 00: no data
expect_write_fail "read,0x83:4" "$r/opcodes"      # both ways
expect_write_fail "read,0x81:5" "$r/opcodes"      # not whole dwords
expect_write_fail "read:512" "$r/opcodes"         # read knows its length
expect_write_fail "read,0x81:lots" "$r/opcodes"
expect_write_ok "read,0x80:0,0x81:4096,0x82:ndt" "$r/opcodes"
[ "$(cat "$r/opcodes")" = "read,0x80:0,0x81:4096,0x82:ndt" ] ||
	fail "opcodes readback: $(cat "$r/opcodes")"
echo 1 >"$r/enable" || fail "enable with numbered opcodes"
dmesg -c >/dev/null
cmd_expect "0x81 with 512 bytes, 4096 declared" "$rejected_einval" tl --opcode 0x81 --data-len 512
dmesg | grep -q "opcode 0x81 refused: data_len 512, the command moves 4096 bytes" ||
	fail "no log line for 0x81's length"
cmd_expect "0x81 with its 4096 bytes" "$sent" tl --opcode 0x81 --data-len 4096
cmd_expect "0x82 with NDT 64 dwords, 512 bytes" "$rejected_einval" tl --opcode 0x82 --cdw 10=64 --data-len 512
cmd_expect "0x82 with NDT 128 dwords, 512 bytes" "$sent" tl --opcode 0x82 --cdw 10=128 --data-len 512
cmd_expect "0x80 with data" "$rejected_einval" tl --opcode 0x80 --data-len 512
cmd_expect "0x80 without data" "$sent" tl --opcode 0x80
cmd_expect "0x84, not allowed" '^err -1 status 0x[0-9a-f]+ flags 0x1$' tl --opcode 0x84

# ...and never on a ring with an LBA window
ring_up tw cpus="$all" lba_start=1024 lba_count=1024 opcodes=read,0x81:4096
cmd_expect "0x81 on a windowed ring" '^err -1 status 0x[0-9a-f]+ flags 0x1$' tw --opcode 0x81 --data-len 4096
ring_down tw

# ---- Copy: format 0h only, data length from its ranges ----
ring_up to cpus="$all" opcodes=read,write,copy
# one range (NR 0), 32 bytes of descriptor; SDLBA 4096
cmd_expect "Copy, 1 range" "$sent" to --opcode 0x19 --cdw 10=4096 --data-len 32
cmd_expect "Copy, 2 ranges in 32 bytes" "$rejected_einval" to --opcode 0x19 --cdw 12=1 --data-len 32
cmd_expect "Copy, 2 ranges" "$sent" to --opcode 0x19 --cdw 12=1 --data-len 64
cmd_expect "Copy, descriptor format 2h" "$rejected_einval" to --opcode 0x19 --cdw 12=0x200 --data-len 32
cmd_expect "Copy, storage tag check" "$rejected_einval" to --opcode 0x19 --cdw 12=0x1000000 --data-len 32
cmd_expect "Copy, PRINFOW" "$rejected_einval" to --opcode 0x19 --cdw 12=0x4000000 --data-len 32
cmd_expect "Copy, CDW14" "$rejected_einval" to --opcode 0x19 --cdw 14=1 --data-len 32
cmd_expect "Copy, FUA" "$sent" to --opcode 0x19 --cdw 12=0x40000000 --data-len 32
ring_down to
ring_down tl
dmesg_clean
pass
