#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the ABI name (KVER) of the installed Debian 12 6.1 kernel that
# make check also boots, the newest whose unsigned image, headers and
# linux-source-6.1 all have one version; print nothing when there is none
# (scripts/install-deps.sh installs one).

set -uo pipefail

src=$(dpkg-query -W -f='${Status} ${Version}' linux-source-6.1 2>/dev/null |
	awk '/ok installed/ { print $4 }')
[ -n "$src" ] || exit 0
for h in $(dpkg-query -W -f='${Package} ${Status} ${Version}\n' 'linux-headers-6.1.*-amd64' 2>/dev/null |
	awk -v v="$src" '$4 == "installed" && $5 == v { print $1 }' | sort -rV); do
	kver=${h#linux-headers-}
	if [ -f "/boot/vmlinuz-$kver" ] && [ -d "/lib/modules/$kver/kernel" ]; then
		echo "$kver"
		exit 0
	fi
done
exit 0
