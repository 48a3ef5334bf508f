#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: the storage machine of 'make demo-fabrics': exports its NVMe
# namespace with nvmet over TCP on its address (DEMO_TARGET_IP, port
# 4420), as an administrator would through nvmet's configfs, then serves
# until the host machine says it is done (a line on TCP port 4421) or
# DEMO_SECONDS pass.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

NQN=nqn.2026-11.io.nvme-ring:demo-fabrics
ip=${DEMO_TARGET_IP:-10.11.0.1}
ns=$(first_ns)
echo "== target: exporting /dev/$ns as $NQN on $ip:4420 (nvmet-tcp)"
fabrics_target_up tcp "$NQN" "/dev/$ns" "$ip" || fail "nvmet-tcp target setup"
ip -4 addr show dev eth0 | grep inet
echo "== target: serving; waiting for the host to finish"
msg=$(timeout "${DEMO_SECONDS:-600}" nc -l -p 4421 </dev/null)
echo "== target: the host says: ${msg:-nothing (timed out)}"
fabrics_target_down "$NQN"
[ "$msg" = "done ok" ] || fail "the host did not finish cleanly: '${msg:-no word}'"
pass
