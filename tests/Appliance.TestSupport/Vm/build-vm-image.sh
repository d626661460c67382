#!/usr/bin/env bash
# build-vm-image.sh - kernel + initramfs for the test VM: Debian's stock kernel (linux-image-amd64), busybox,
# wg (independent reader), the wireguard/virtio/9p modules, and optionally an app directory copied to /app.
# The guest's /init loads the modules, mounts the 9p share "host0" at /mnt/host, runs /mnt/host/job.sh,
# writes "@@JOB rc=N" and powers off. Downloads and the extracted kernel are cached under $CACHE.
#   CACHE=/var/cache/appliance-vm  APP_DIR=<dir copied to /app>  OUT=<dir for initramfs.cpio.gz + kernel.path>
#   EXTRA_MODULES="uinput input-leds softdog i2c-stub i2c-dev"  more modules (with their dependencies) loaded at boot
#   MODULE_PARAMS="i2c_stub chip_addr=0x3c"  one line per module: its name (underscores) and its insmod parameters
#   ARCH=arm64 FETCH_DEBS=<repo>/scripts/fetch-debs.sh  an arm64 guest for qemu-system-aarch64 -M virt: Debian's arm64
#     kernel, busybox and wg (fetched with a private apt state, cached in $CACHE/debs-arm64), the cross C library
#     (libc6-arm64-cross) and libssl3:arm64; an app directory must then hold arm64 binaries (no ldd for them here).
#   KERNEL_SUITE=trixie-backports FETCH_KERNEL=<repo>/scripts/fetch-kernel.sh  (x64) the kernel linux-image-amd64 names in
#     that Debian suite instead of the system's (fetched with a private apt state into $CACHE/debs-<suite>), for a
#     kernel feature 6.1 lacks (gpio-sim); its compressed modules are unpacked into the initramfs.
set -euo pipefail
CACHE=${CACHE:-/var/cache/appliance-vm}
OUT=${OUT:?OUT directory required}
APP_DIR=${APP_DIR:-}
EXTRA_MODULES=${EXTRA_MODULES:-}
MODULE_PARAMS=${MODULE_PARAMS:-}
ARCH=${ARCH:-x64}
KERNEL_SUITE=${KERNEL_SUITE:-}
case $ARCH in x64|arm64) ;; *) echo "ARCH is x64 or arm64, not '$ARCH'" >&2; exit 2 ;; esac
case $KERNEL_SUITE in *[!a-z0-9-]*) echo "bad KERNEL_SUITE '$KERNEL_SUITE'" >&2; exit 2 ;; esac
[ -z "$KERNEL_SUITE" ] || [ "$ARCH" = x64 ] || { echo "KERNEL_SUITE is for ARCH=x64 only" >&2; exit 2; }
mkdir -p "$CACHE/debs" "$OUT"
exec 9>"$CACHE/.lock"
flock -w 600 9

# ---- downloads (apt-get download, cached)
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
if [ -z "$KPKG" ]; then apt-get update -qq; KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}'); fi
KVER=${KPKG#linux-image-}
if [ "$ARCH" = arm64 ]; then
  # The same kernel release built for arm64 (Debian names both alike), and arm64 userland, with a private apt state.
  KPKG=${KPKG%-amd64}-arm64; KVER=${KVER%-amd64}-arm64
  mapfile -t ADEBS < <(bash "${FETCH_DEBS:?FETCH_DEBS (scripts/fetch-debs.sh) required for ARCH=arm64}" arm64 "$CACHE/debs-arm64" "$KPKG" busybox-static wireguard-tools libssl3)
  KDEB=${ADEBS[0]}; BUSYBOX_DEB=${ADEBS[1]}; WG_DEB=${ADEBS[2]}; SSL_DEB=${ADEBS[3]}
fi
[ "$ARCH" = arm64 ] || for p in "$KPKG" wireguard-tools busybox-static; do
  ls "$CACHE/debs/${p}_"*_amd64.deb >/dev/null 2>&1 && continue
  (cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$p" >/dev/null) || {
     apt-get update -qq; (cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$p" >/dev/null); }
done
if [ "$ARCH" = x64 ]; then
  KDEB=$(ls -t "$CACHE/debs/${KPKG}_"*_amd64.deb | head -1)
  BUSYBOX_DEB=$(ls -t "$CACHE"/debs/busybox-static_*_amd64.deb | head -1); WG_DEB=$(ls -t "$CACHE"/debs/wireguard-tools_*_amd64.deb | head -1)
fi
KDEBS=("$KDEB")
if [ -n "$KERNEL_SUITE" ]; then
  mapfile -t KDEBS < <(bash "${FETCH_KERNEL:?FETCH_KERNEL (scripts/fetch-kernel.sh) required for KERNEL_SUITE}" "$KERNEL_SUITE" "$CACHE/debs-$KERNEL_SUITE")
  [ "${#KDEBS[@]}" -ge 2 ] || { echo "fetch-kernel.sh $KERNEL_SUITE gave no kernel" >&2; exit 1; }
  KVER=${KDEBS[0]}; KDEBS=("${KDEBS[@]:1}")
fi

# ---- kernel + modules (extracted once per kernel package set)
KDIR=$CACHE/kernel
[ "$ARCH" = arm64 ] && KDIR=$CACHE/kernel-arm64
[ -n "$KERNEL_SUITE" ] && KDIR=$CACHE/kernel-$KERNEL_SUITE
STAMP=$(for d in "${KDEBS[@]}"; do basename "$d"; done)
if [ "$(cat "$KDIR/.stamp" 2>/dev/null)" != "$STAMP" ]; then
  rm -rf "$KDIR"; mkdir -p "$KDIR"
  for d in "${KDEBS[@]}"; do dpkg-deb -x "$d" "$KDIR"; done
  # Linux 7's packages are merged-/usr only (modules and vmlinuz under /usr/lib/modules/<release>).
  if [ ! -d "$KDIR/lib/modules/$KVER" ] && [ -d "$KDIR/usr/lib/modules/$KVER" ]; then
    mkdir -p "$KDIR/lib" "$KDIR/boot"; ln -s ../usr/lib/modules "$KDIR/lib/modules"
    ln -s "../usr/lib/modules/$KVER/vmlinuz" "$KDIR/boot/vmlinuz-$KVER"
  fi
  depmod -b "$KDIR" "$KVER"
  # Uncompressed ELF vmlinux boots through qemu's PVH entry, skipping the slow bzImage path under TCG (x64 only:
  # qemu-system-aarch64 boots the arm64 vmlinuz, a gzip-compressed Image, as it is).
  K=$KDIR/boot/vmlinuz-$KVER
  [ "$ARCH" = arm64 ] && off= || off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$K" | head -1 | cut -d: -f1 || true)
  if [ -n "$off" ]; then xz -dc --single-stream < <(tail -c +$((off + 1)) "$K") > "$KDIR/vmlinux" 2>/dev/null || rm -f "$KDIR/vmlinux"; fi
  echo "$STAMP" > "$KDIR/.stamp"
fi
KERNEL=$KDIR/boot/vmlinuz-$KVER
if [ -s "$KDIR/vmlinux" ] && [ "$(readelf -n "$KDIR/vmlinux" 2>/dev/null | grep -c 'type: (0x00000012)')" -gt 0 ]; then
  KERNEL=$KDIR/vmlinux
fi
flock -u 9

# ---- rootfs
R=$OUT/rootfs
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,mnt/host,lib/modules,lib64,lib/x86_64-linux-gnu,usr/lib/x86_64-linux-gnu}
dpkg-deb --fsys-tarfile "$BUSYBOX_DEB" | tar -xO ./bin/busybox > "$R/bin/busybox"
chmod 755 "$R/bin/busybox"
RUN=(); [ "$ARCH" = arm64 ] && RUN=(qemu-aarch64)   # busybox-static lists its applets under qemu-user
for a in $("${RUN[@]}" "$R/bin/busybox" --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
dpkg-deb --fsys-tarfile "$WG_DEB" | tar -xO ./usr/bin/wg > "$R/usr/bin/wg"
chmod 755 "$R/usr/bin/wg"
# shellcheck disable=SC2086 # EXTRA_MODULES is a word list
modprobe -d "$KDIR" -S "$KVER" -a --show-depends wireguard virtio_pci 9pnet_virtio 9p $EXTRA_MODULES | awk '$1=="insmod"{print $2}' | awk '!s[$0]++' > "$OUT/mods.txt"
: > "$R/etc/modules.list"
# Compressed modules (Linux 6.12+ packages) are unpacked here: busybox's insmod may not read them.
while read -r f; do
  case $f in
    *.ko.xz) b=$(basename "$f" .xz); xz -dc "$f" > "$R/lib/modules/$b" ;;
    *.ko.zst) b=$(basename "$f" .zst); zstd -qdc "$f" > "$R/lib/modules/$b" ;;
    *) b=$(basename "$f"); cp "$f" "$R/lib/modules/" ;;
  esac
  echo "$b" >> "$R/etc/modules.list"
done < "$OUT/mods.txt"
printf '%s\n' "$MODULE_PARAMS" > "$R/etc/modules.params"
copy_libs() {
  ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} NF == 2 && $1 ~ /^\// {print $1}' | sort -u | while read -r l; do
    [ -e "$R$l" ] || { mkdir -p "$R$(dirname "$l")"; cp -L "$l" "$R$l"; }
  done
}
if [ "$ARCH" = arm64 ]; then
  # No ldd for arm64 binaries here: the guest gets glibc's loader, libc and libm (all wg and a NativeAOT app link)
  # and OpenSSL 3 (which .NET loads with dlopen) at the paths arm64 Debian has them.
  mkdir -p "$R/lib/aarch64-linux-gnu" "$R/usr/lib/aarch64-linux-gnu"
  cp -L /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 "$R/lib/"
  for l in libc.so.6 libm.so.6 libgcc_s.so.1 libstdc++.so.6; do [ -e "/usr/aarch64-linux-gnu/lib/$l" ] && cp -L "/usr/aarch64-linux-gnu/lib/$l" "$R/lib/aarch64-linux-gnu/"; done
  x=$(mktemp -d); dpkg-deb -x "$SSL_DEB" "$x"; cp -L "$x"/usr/lib/aarch64-linux-gnu/lib{ssl,crypto}.so.3 "$R/usr/lib/aarch64-linux-gnu/"; rm -rf "$x"
  copy_libs() { :; }
fi
copy_libs "$R/usr/bin/wg"
# libcrypto (X25519) and libssl (.NET loads both for its OpenSSL-backed RNG) inside the guest
[ "$ARCH" = arm64 ] || for l in /usr/lib/x86_64-linux-gnu/libcrypto.so.3 /usr/lib/x86_64-linux-gnu/libssl.so.3; do [ -e "$l" ] && { cp -L "$l" "$R$l"; copy_libs "$l"; }; done
if [ -n "$APP_DIR" ]; then
  mkdir -p "$R/app"
  (cd "$APP_DIR" && for f in *; do case "$f" in
      *.pdb|createdump|libmscordaccore.so|libmscordbi.so|libclrgc.so|libclrgcexp.so|libcoreclrtraceptprovider.so) ;;
      *) cp -a "$f" "$R/app/";; esac; done)
  for f in "$R"/app/*; do [ -x "$f" ] && [ -f "$f" ] && copy_libs "$f"; done
  ls "$R"/app/*.so >/dev/null 2>&1 && copy_libs "$R"/app/*.so
fi

cat > "$R/init" <<'INIT'
#!/bin/sh
export PATH=/usr/bin:/usr/sbin:/bin:/sbin HOME=/root WG_COLOR_MODE=never DOTNET_EnableDiagnostics=0
[ -d /lib/aarch64-linux-gnu ] && export LD_LIBRARY_PATH=/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev; mount -t tmpfs tmpfs /tmp
dmesg -n 1
for m in $(cat /etc/modules.list); do
  n=$(echo "${m%.ko}" | tr - _); p=$(sed -n "s/^$n //p" /etc/modules.params)
  insmod /lib/modules/$m $p || echo "@@INIT insmod $m failed"
done
ip link set lo up
echo "@@INIT up t=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 host0 /mnt/host; then
  if [ -f /mnt/host/job.sh ]; then sh /mnt/host/job.sh; echo "@@JOB rc=$?"; else echo "@@JOB rc=missing"; fi
  sync; umount /mnt/host
else echo "@@INIT 9p mount failed"; fi
echo "@@INIT done t=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
INIT
chmod 755 "$R/init"

(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 > "$OUT/initramfs.cpio.gz")
rm -rf "$R"
echo "$KERNEL" > "$OUT/kernel.path"
echo "$ARCH" > "$OUT/arch"
echo "KERNEL=$KERNEL"
echo "INITRD=$OUT/initramfs.cpio.gz ($(du -h "$OUT/initramfs.cpio.gz" | cut -f1))"
