#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract the few kernel source files the build and lint need from the
# installed linux-source-6.12 tarball into an ignored cache folder:
#   drivers/nvme/host/nvme.h   the NVMe host driver's private header
#   scripts/checkpatch.pl, spelling.txt, const_structs.checkpatch
#   .clang-format
# Usage: extract-ksrc.sh TARBALL OUTDIR

set -euo pipefail

tar_file=$1
out=$2
stamp="$out/.stamp"

if [ -f "$stamp" ] && [ "$stamp" -nt "$tar_file" ]; then
	exit 0
fi

mkdir -p "$out"
top=$(tar -tf "$tar_file" 2>/dev/null | head -n 1 | cut -d/ -f1 || true)
tar -xf "$tar_file" -C "$out" --strip-components=1 \
	"$top/drivers/nvme/host/nvme.h" \
	"$top/scripts/checkpatch.pl" \
	"$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch" \
	"$top/.clang-format"
touch "$stamp"
