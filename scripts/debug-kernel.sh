#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, once, a 6.12 kernel for the test VM that is made to catch bugs:
# KASAN, lockdep (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP, kmemleak, fault
# injection (failslab, fail_page_alloc), hung task and lockup detectors,
# from the installed linux-source-6.12 with a small config (x86_64
# defconfig, the drivers the guest tests need as modules, large
# subsystems the VM has no use for left out), and the nvme_ring_io
# module against it. Cached in build/debug-kernel/<hash of this script>/;
# prints the make-style facts vm-build.sh and vm-test.sh take (KVER, KDIR,
# KIMAGE, MODROOT, NRI_KO) once done.
#
# Usage: debug-kernel.sh [-j JOBS]

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
if [ "${1:-}" = -j ]; then
	jobs=$2
fi
eval "$("$top/scripts/kernel-env.sh")"
: "${KSRC_TAR:?}"

hash=$(sha256sum "$0" | cut -c1-12)
out=$top/build/debug-kernel/$hash
src=$out/src
log=$out/build.log

if [ -f "$out/env" ]; then
	cat "$out/env"
	exit 0
fi
for tool in flex bison; do
	command -v "$tool" >/dev/null || "$top/scripts/install-deps.sh" --debug-kernel >&2
done
rm -rf "$top/build/debug-kernel"
mkdir -p "$src"
echo "debug-kernel: building in ${out#"$top"/} (log: ${log#"$top"/}); this takes a while" >&2
start=$(date +%s)
tar -xf "$KSRC_TAR" -C "$src" --strip-components=1

# run CMD...: into the log; on failure say so with the log's end, and stop
run() {
	"$@" >>"$log" 2>&1 && return 0
	echo "debug-kernel: '$*' failed; the end of ${log#"$top"/}:" >&2
	tail -n 30 "$log" >&2
	exit 1
}

cd "$src"
run make x86_64_defconfig
# What the guest tests use.
run scripts/config --set-str LOCALVERSION "-nri-debug" -d LOCALVERSION_AUTO \
	-e NUMA -e ACPI_NUMA -e X86_64_ACPI_NUMA -e HOTPLUG_CPU \
	-e MEMCG -e HUGETLBFS -e TRANSPARENT_HUGEPAGE -e COMPACTION \
	-e CONFIGFS_FS -e IO_URING -e BLK_DEV_INTEGRITY -e BLK_DEBUG_FS \
	-e MODULES -e MODULE_UNLOAD -e DEVTMPFS -e DEVTMPFS_MOUNT \
	-m NVME_CORE -m BLK_DEV_NVME -e NVME_MULTIPATH -m NVME_FABRICS \
	-m NVME_TCP -m NVME_TARGET -m NVME_TARGET_LOOP -m NVME_TARGET_TCP \
	-m BLK_DEV_NULL_BLK -e NVME_TARGET_PASSTHRU
# What catches bugs.
run scripts/config -e DEBUG_FS -e DEBUG_KERNEL \
	-e KASAN -e KASAN_GENERIC -e KASAN_INLINE \
	-e PROVE_LOCKING -e DEBUG_ATOMIC_SLEEP -e DEBUG_LIST \
	-e DEBUG_KMEMLEAK -d DEBUG_KMEMLEAK_DEFAULT_OFF \
	--set-val DEBUG_KMEMLEAK_MEM_POOL_SIZE 40000 \
	-e FAULT_INJECTION -e FAILSLAB -e FAIL_PAGE_ALLOC \
	-e FAULT_INJECTION_DEBUG_FS -e FAIL_IO_TIMEOUT \
	-e DETECT_HUNG_TASK -e SOFTLOCKUP_DETECTOR -e WQ_WATCHDOG
# What the VM has no use for: a faster build.
run scripts/config -e DEBUG_INFO_NONE -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
	-d DRM -d SOUND -d USB_SUPPORT -d WLAN -d WIRELESS -d HID \
	-d INPUT_MOUSE -d INPUT_JOYSTICK -d INPUT_TABLET \
	-d INPUT_TOUCHSCREEN -d AGP -d FB -d ETHERNET -d NETFILTER \
	-d CFG80211 -d MAC80211 -d RFKILL -d BT -d MEDIA_SUPPORT \
	-d HAMRADIO -d INFINIBAND -d KVM -d XEN -d HYPERV
run make olddefconfig
for opt in KASAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_KMEMLEAK FAILSLAB \
	FAIL_PAGE_ALLOC BLK_DEV_NVME NVME_TARGET_LOOP BLK_DEV_INTEGRITY; do
	grep -Eq "^CONFIG_$opt=(y|m)" .config ||
		{ echo "debug-kernel: CONFIG_$opt did not stick" >&2; exit 1; }
done
run make -j"$jobs" bzImage modules
run make INSTALL_MOD_PATH="$out/mods" modules_install
kver=$(cat include/config/kernel.release)

# the module, against this tree, built in a copy of the sources
mod=$out/nri
mkdir -p "$mod"
cp -r "$top/src" "$top/configfs" "$top/include" "$top/Kbuild" "$mod/"
run make -C "$src" M="$mod" CONFIG_NVME_RING_IO=m \
	NVME_HOST_INC="$src/drivers/nvme/host" modules

cat >"$out/env" <<ENV
KVER=$kver
KDIR=$src
KIMAGE=$src/arch/x86/boot/bzImage
MODROOT=$out/mods
NRI_KO=$mod/nvme_ring_io.ko
ENV
echo "debug-kernel: $kver built in $(($(date +%s) - start)) s" >&2
cat "$out/env"
