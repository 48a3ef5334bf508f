#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: nvme-ring save, clear and restore: two rings (one enabled
# with many attributes set, one left disabled) saved to JSON with their
# namespace's identity, cleared, the module reloaded, restored with every
# attribute and state as before; restore again changes nothing; a ring
# that differs from the file, a namespace nobody has, a file of another
# version and a file that is not JSON are refused with a message, and no
# half-made ring is left.
# KERNELS: 6.1
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring
f=/tmp/rings.json
trap 'nvme-ring clear >/dev/null 2>&1' EXIT
cleanup_rings ps1 ps2
read -r -a cpus <<<"$(online_cpus | tr '\n' ' ')"

nvme-ring create ps1 --device "/dev/$ns" --cpus "${cpus[0]},${cpus[-1]}" --depth 64 \
	--data-size 2M --mode 0640 --lba-start 1000 --lba-count 50000 \
	--opcodes read,write,flush --timeout-max 120000 --sq-poll \
	--sq-poll-idle 50 >/dev/null || fail "create ps1"
# ps2 on the namespace's generic device, configured but never enabled
mkdir "$NRI_CFS/ps2" || fail "mkdir ps2"
ng=$(ns_generic_dev "$ns")
echo "$ng" >"$NRI_CFS/ps2/device" || fail "ps2: device $ng"
echo 128 >"$NRI_CFS/ps2/sq_entries" || fail "ps2: sq_entries"

# attrs NAME: every attribute of the ring, one name=value per line
attrs() {
	local a list
	read -r -a list <"$NRI_CFS/features"
	for a in "${list[@]}"; do
		echo "$a=$(cat "$NRI_CFS/$1/$a")"
	done
}

# no_rings WHY: fails unless configfs holds no ring
no_rings() {
	local d
	for d in "$NRI_CFS"/*/; do
		[ -d "$d" ] && fail "$1: $(basename "$d")"
	done
	return 0
}
attrs ps1 >/tmp/ps1.before
attrs ps2 >/tmp/ps2.before

nvme-ring save "$f" || fail "save"
grep -q '"format": "nvme-ring"' "$f" || fail "no format in $f"
grep -q '"version": 1' "$f" || fail "no version in $f"
grep -qE '"(nguid|eui64|uuid|subsysnqn)":' "$f" || fail "no namespace identity in $f"
info "saved: $(grep -cE '"name":' "$f") rings; identity: $(grep -oE '"(nguid|eui64|uuid|subsysnqn)"' "$f" | sort -u | tr '\n' ' ')"

nvme-ring clear >/dev/null || fail "clear"
no_rings "a ring left after clear"
nri_reload

out=$(nvme-ring restore "$f" 2>&1) || fail "restore: $out"
info "$out"
attrs ps1 | diff /tmp/ps1.before - || fail "ps1 restored differently"
attrs ps2 | diff /tmp/ps2.before - || fail "ps2 restored differently"
[ "$(cat "$NRI_SYS/ps1/state")" = live ] || fail "ps1 is not live"
[ ! -e "$NRI_SYS/ps2" ] || fail "ps2 was saved disabled but is enabled"
nri-io --lba 1000 --nlb 64 --seed 206 write ps1 >/dev/null 2>&1 || true

# again: nothing to do
out=$(nvme-ring restore "$f" 2>&1) || fail "a second restore failed: $out"
grep -q "ps1: already as saved" <<<"$out" || fail "second restore: $out"
grep -q "ps2: already as saved" <<<"$out" || fail "second restore: $out"

# a ring that differs is refused, and left as it is
echo 0 >"$NRI_CFS/ps2/enable"
echo 256 >"$NRI_CFS/ps2/sq_entries"
rc=0
out=$(nvme-ring restore "$f" 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "restore over a changed ring: exit $rc: $out"
grep -q "ps2: a ring of that name exists and differs from the file: its sq_entries is '256', not '128'" <<<"$out" ||
	fail "unclear refusal: $out"
[ "$(cat "$NRI_CFS/ps2/sq_entries")" = 256 ] || fail "the changed ring was touched"

# a namespace nobody has: refused, no ring made
nvme-ring clear >/dev/null
sed -e 's/"uuid": "[^"]*"/"uuid": "00000000-1111-2222-3333-444444444444"/' \
	-e 's/"nguid": "[^"]*"/"nguid": "00000000-1111-2222-3333-444444444444"/' \
	-e 's/"eui64": "[^"]*"/"eui64": "0011223344556677"/' \
	-e 's/"subsysnqn": "[^"]*"/"subsysnqn": "nqn.2026-11.example:nobody"/' "$f" >/tmp/other.json
rc=0
out=$(nvme-ring restore /tmp/other.json 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "restore onto a missing namespace: exit $rc: $out"
grep -q "ps1: no namespace has" <<<"$out" || fail "unclear refusal: $out"
[ ! -e "$NRI_CFS/ps1" ] || fail "a ring was made for a missing namespace"

sed 's/"version": 1/"version": 2/' "$f" >/tmp/v2.json
out=$(nvme-ring restore /tmp/v2.json 2>&1) && fail "a version 2 file was read"
grep -q "format version 2; this nvme-ring reads version 1" <<<"$out" || fail "unclear: $out"
echo '{"format": "nvme-ring", "version": 1, "rings": [' >/tmp/bad.json
out=$(nvme-ring restore /tmp/bad.json 2>&1) && fail "a truncated file was read"
grep -q "is not valid JSON: line [0-9]*: expected a value" <<<"$out" || fail "unclear: $out"
no_rings "a ring made from a bad file"

# the default file
nvme-ring restore "$f" >/dev/null || fail "restore for the default file"
nvme-ring save >/dev/null || fail "save to the default file"
[ -s /etc/nvme-ring/rings.json ] || fail "no /etc/nvme-ring/rings.json"
nvme-ring clear >/dev/null
nvme-ring restore >/dev/null || fail "restore from the default file"
attrs ps1 | diff /tmp/ps1.before - || fail "ps1 from the default file differs"
pass
