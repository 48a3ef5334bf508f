# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers of the host scripts (scripts/*.sh, tests/harness/run.sh).

# tree_lock LOCKFILE MESSAGE: one run at a time in this tree. Holds LOCKFILE
# (under build/) for the rest of the calling shell; when another run holds
# it, prints MESSAGE and waits.
tree_lock() {
	local fd
	mkdir -p "$(dirname "$1")"
	exec {fd}>"$1"
	if ! flock -n "$fd"; then
		echo "$2"
		flock "$fd"
	fi
}
