#!/usr/bin/env bash
# build-image.sh - a flashable raw disk image of an Appliance box that enrolls itself on first boot.
#
#   image/build-image.sh --arch amd64|arm64 --out FILE.img [--token TOKEN | --token-file F] [--hostname NAME]
#                        [--size 1G] [--server URL] [--firewall MODE]
#
# Partition 1 (FAT32, label APPLBOOT, 128 MiB, mounted at /boot/firmware): appliance/token, appliance/config.json (server URL
# override, hostname, firewall mode; editable on any PC), the kernel and initrd, and the bootloaders: syslinux for
# BIOS (amd64) and GRUB as \EFI\BOOT\BOOT{X64,AA64}.EFI for UEFI (amd64 with OVMF, arm64 on qemu `virt` with AAVMF).
# Partition 2 (ext4, label approot): Debian bookworm from Debian's archive (mmdebstrap) with systemd, the Debian
# kernel (WireGuard module), nftables, the NativeAOT agent from image/build-deb.sh and appliance-firstboot.
#
# File-based: mmdebstrap into a directory, mkfs.ext4 -d, mkfs.fat + mtools + syslinux (mtools), grub-mkimage, sfdisk
# and dd on the image file. No loop device, no mount of the image. Reproducible for the same package versions: times
# come from SOURCE_DATE_EPOCH (the ext4 inodes' change and access times too, set with debugfs), UUIDs, the FAT volume
# id and the disk id from the inputs, /etc/machine-id is empty (made at first boot); image/README.md has the list.
#
# Environment:
#   APPLIANCE_IMAGE_CACHE   downloaded .debs and built agent packages (default /var/cache/appliance-image)
#   APPLIANCE_IMAGE_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   APPLIANCE_AGENT_DEB     a prebuilt appliance-agent .deb instead of running image/build-deb.sh
#   APPLIANCE_IMAGE_OVERLAY a directory copied over the root file system last (tests add their probe with it)
#   SOURCE_DATE_EPOCH       time of every file (default: the repository's last commit)
#   APPLIANCE_IMAGE_MANIFEST write the root and boot trees' manifest (path, mode, owner, size, time, sha256) to this file
#   APPLIANCE_IMAGE_REPRO_CHECK=1  make the file systems twice from the same trees and stop if the bytes differ
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
T0=$(date +%s)
say() { echo "[build-image] $*" >&2; }
die() { echo "build-image: $*" >&2; exit 2; }

ARCH= OUT= TOKEN= TOKEN_FILE= HOSTNAME_= SIZE=1G SERVER= FIREWALL=
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) ARCH=${2:?}; shift 2;;
    --out) OUT=${2:?}; shift 2;;
    --token) TOKEN=${2:?}; shift 2;;
    --token-file) TOKEN_FILE=${2:?}; shift 2;;
    --hostname) HOSTNAME_=${2:?}; shift 2;;
    --size) SIZE=${2:?}; shift 2;;
    --server) SERVER=${2:?}; shift 2;;
    --firewall) FIREWALL=${2:?}; shift 2;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0;;
    *) die "unknown option $1 (see --help)";;
  esac
done
case "$ARCH" in
  amd64) KPKG=linux-image-amd64 CONSOLE=ttyS0 EFI=BOOTX64.EFI GRUB_TARGET=x86_64-efi GRUB_PKG=grub-efi-amd64-bin;;
  arm64) KPKG=linux-image-arm64 CONSOLE=ttyAMA0 EFI=BOOTAA64.EFI GRUB_TARGET=arm64-efi GRUB_PKG=grub-efi-arm64-bin;;
  *) die "--arch amd64|arm64 is required";;
esac
[ -n "$OUT" ] || die "--out FILE.img is required"
[ -n "$TOKEN" ] && [ -n "$TOKEN_FILE" ] && die "give --token or --token-file, not both"
[ -n "$TOKEN_FILE" ] && { TOKEN=$(tr -d ' \t\r\n' < "$TOKEN_FILE") || die "cannot read $TOKEN_FILE"; }
if [ -n "$HOSTNAME_" ] && ! printf '%s\n' "$HOSTNAME_" | grep -Eq '^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$'; then
  die "--hostname: 1-63 letters, digits and '-' (not first or last)"
fi
SIZE_BYTES=$(numfmt --from=iec "$SIZE") || die "--size: a size such as 1G or 1536M"
[ "$SIZE_BYTES" -ge $((768 * 1024 * 1024)) ] || die "--size: at least 768M (the Debian kernel's modules alone take ~400M)"
[ "$(id -u)" = 0 ] || die "run as root: mmdebstrap's root mode keeps the owners of the files that mkfs.ext4 -d copies"
for t in mmdebstrap mkfs.ext4 debugfs dumpe2fs mkfs.fat mcopy mmd syslinux sfdisk grub-mkimage; do
  command -v "$t" >/dev/null || die "$t is missing: scripts/install-test-deps.sh installs the image tools"
done
# A foreign root runs its packages' maintainer scripts under qemu-user through binfmt_misc. Set that up where it is
# not: mount binfmt_misc (containers and small VMs often lack the mount) and enable Debian's qemu-aarch64 entry (from
# qemu-user-static, registered by binfmt-support). Only that entry is touched; nothing is unregistered.
if [ "$ARCH" = arm64 ] && [ "$(dpkg --print-architecture)" != arm64 ] && ! [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  command -v update-binfmts >/dev/null && [ -x /usr/bin/qemu-aarch64-static ] \
    || die "building for $ARCH here needs qemu-user-static and binfmt-support (scripts/install-test-deps.sh)"
  if ! [ -e /proc/sys/fs/binfmt_misc/register ]; then
    say "mounting binfmt_misc on /proc/sys/fs/binfmt_misc"
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || die "cannot mount binfmt_misc (mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc)"
  fi
  say "registering qemu-aarch64 with binfmt_misc (update-binfmts --enable qemu-aarch64)"
  update-binfmts --enable qemu-aarch64 >&2 || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || die "qemu-aarch64 is not registered with binfmt_misc (update-binfmts --enable qemu-aarch64 failed)"
fi

CACHE=${APPLIANCE_IMAGE_CACHE:-/var/cache/appliance-image}
MIRROR=${APPLIANCE_IMAGE_MIRROR:-http://deb.debian.org/debian}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo 0)}
say "SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH"
mkdir -p "$CACHE/debs-$ARCH" "$CACHE/agent-$ARCH"
OUT_DIR=$(cd "$(dirname "$OUT")" && pwd)
WORK=$(mktemp -d "$OUT_DIR/.appliance-image.XXXXXX")
# --one-file-system: an mmdebstrap killed mid-way can leave proc, sys and the host's /dev/shm mounted in the root.
cleanup() { rm -rf --one-file-system "$WORK"; }
trap cleanup EXIT

# ---- the agent package (built once per agent source tree and architecture, kept in the cache)
AGENT_DEB=${APPLIANCE_AGENT_DEB:-}
if [ -z "$AGENT_DEB" ]; then
  # Keyed by the agent's source trees, so a commit elsewhere does not publish it again.
  REV=$(git -C "$REPO" rev-parse HEAD:agent-lite HEAD:lib HEAD:gateway HEAD:Directory.Build.props HEAD:Directory.Packages.props 2>/dev/null | sha256sum | cut -c1-12)
  DIRTY=$(git -C "$REPO" status --porcelain -- agent-lite lib gateway Directory.Build.props Directory.Packages.props 2>/dev/null | sha256sum | cut -c1-8)
  AGENT_DEB=$(ls "$CACHE/agent-$ARCH/$REV-$DIRTY"/appliance-agent_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$AGENT_DEB" ]; then
    say "building the agent package for $ARCH (NativeAOT)"
    AGENT_DEB=$("$HERE/build-deb.sh" --arch "$ARCH" --package agent --out-dir "$CACHE/agent-$ARCH/$REV-$DIRTY")
  fi
fi
[ -f "$AGENT_DEB" ] || die "no agent package at $AGENT_DEB"
say "agent package $(basename "$AGENT_DEB")"

# ---- identifiers derived from the inputs (no random bytes in the image)
SEED=$(printf '%s\n' "$ARCH" "$SIZE_BYTES" "$HOSTNAME_" "$SOURCE_DATE_EPOCH" "$(sha256sum < "$AGENT_DEB")" | sha256sum | cut -c1-64)
uuid_of() { local h; h=$(printf '%s %s' "$SEED" "$1" | sha256sum); echo "${h:0:8}-${h:8:4}-4${h:13:3}-a${h:17:3}-${h:20:12}"; }
ROOT_UUID=$(uuid_of root)
HASH_SEED=$(uuid_of hash)
FAT_ID=${SEED:0:8}
DISK_ID=0x${SEED:8:8}

# ---- root file system: Debian from its archive, .debs cached between builds
ROOT=$WORK/root
# Builds (and tests) may run side by side: each works on its own copy of the .deb cache, taken and given back
# under a lock, never on the shared directory while another build writes it.
DEBS=$WORK/debs
mkdir -p "$DEBS"
with_cache_lock() { flock -w 900 "$CACHE/.lock-$ARCH" "$@"; }
with_cache_lock cp -a "$CACHE/debs-$ARCH/." "$DEBS/"
PACKAGES=systemd,systemd-sysv,systemd-resolved,systemd-timesyncd,dbus,udev,kmod,"$KPKG",initramfs-tools,zstd
PACKAGES+=,iproute2,nftables,wireguard-tools,iputils-ping,libssl3,ca-certificates,netbase,procps,libgpiod2,"$GRUB_PKG"
# The kernel's and its triggers' initramfs runs are skipped while packages go in (each takes minutes under
# emulation or load); one update-initramfs at the end makes it (MODULES=most: the box may be any PC or board).
# Likewise update-ca-certificates: ca-certificates' postinst runs it (without hooks) and then triggers itself to run
# it again (with hooks), and each run forks a few programs for every one of ~150 certificates: under qemu-user at
# load 30-50 the two runs took 247 + 216 s of a 30-minute arm64 build. One run with hooks at the end does the same.
# The arm64 initrd carries the modules that find and mount a root (image/initramfs/appliance-root-modules), not
# MODULES=most: under qemu-user, most's 1,000+ arm64 modules took more than 30 minutes of update-initramfs at load 50.
INITRAMFS_HOOKS=()
if [ "$ARCH" = arm64 ]; then
  INITRAMFS_HOOKS=(--customize-hook="copy-in '$HERE/initramfs/appliance-modules.conf' /etc/initramfs-tools/conf.d"
    --customize-hook="copy-in '$HERE/initramfs/appliance-root-modules' /etc/initramfs-tools/hooks")
fi
say "mmdebstrap bookworm $ARCH ($(ls "$DEBS" | wc -l) cached .debs)"
T=$(date +%s)
mmdebstrap --quiet --mode=root --variant=minbase --arch="$ARCH" --include="$PACKAGES" \
  --aptopt='Acquire::Retries "3"' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*/changelog*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' --setup-hook="sync-in '$DEBS' /var/cache/apt/archives/" \
  --essential-hook='for f in update-initramfs update-ca-certificates; do chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/$f && ln -s /bin/true "$1/usr/sbin/$f" || exit 1; done' \
  --customize-hook="copy-in '$AGENT_DEB' /tmp" \
  --customize-hook='chroot "$1" dpkg -i /tmp/'"$(basename "$AGENT_DEB")"' >/dev/null && rm -f "$1"/tmp/*.deb' \
  --customize-hook='for f in update-initramfs update-ca-certificates; do rm "$1/usr/sbin/$f" && chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/$f || exit 1; done' \
  --customize-hook='T=$(date +%s); chroot "$1" update-ca-certificates --fresh >/dev/null && echo "[build-image] update-ca-certificates: $(( $(date +%s) - T ))s" >&2' \
  "${INITRAMFS_HOOKS[@]}" \
  --customize-hook='T=$(date +%s); chroot "$1" update-initramfs -c -k all && echo "[build-image] update-initramfs: $(( $(date +%s) - T ))s" >&2' \
  --customize-hook="sync-out /var/cache/apt/archives '$DEBS'" \
  --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
  bookworm "$ROOT" "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
  "deb ${MIRROR%/debian}/debian-security bookworm-security main"
with_cache_lock cp -an "$DEBS/." "$CACHE/debs-$ARCH/"
rm -rf "$DEBS"
say "root file system done ($(( $(date +%s) - T ))s, $(du -sh --exclude=proc "$ROOT" | cut -f1))"

# ---- configuration of the box
cp -a "$HERE/rootfs/." "$ROOT/"
KVER=$(ls "$ROOT/lib/modules" | sort -V | tail -1)
echo appliance > "$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tappliance\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$ROOT/etc/hosts"
cat > "$ROOT/etc/fstab" <<FSTAB
# <file system>  <mount point>  <type>  <options>  <dump>  <pass>
UUID=$ROOT_UUID  /  ext4  defaults,errors=remount-ro,noatime  0  1
LABEL=APPLBOOT  /boot/firmware  vfat  defaults,umask=0077,nofail,x-systemd.device-timeout=90s  0  2
FSTAB
mkdir -p "$ROOT/boot/firmware"
# Identity is made on the device (systemd fills an empty machine-id at the first boot; firstboot does the rest).
: > "$ROOT/etc/machine-id"
rm -f "$ROOT/var/lib/dbus/machine-id" "$ROOT"/etc/ssh/ssh_host_* "$ROOT/var/lib/systemd/random-seed" "$ROOT/var/cache/ldconfig/aux-cache"
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/log/*.log "$ROOT/var/cache/debconf"/*-old
ln -sf /lib/systemd/resolv.conf "$ROOT/etc/resolv.conf"
# systemd-firstboot would ask for a locale, time zone and root password on the console and hold the boot: a headless
# box has nobody to answer (UTC, C.UTF-8 and a locked root are right for it).
ln -sf /dev/null "$ROOT/etc/systemd/system/systemd-firstboot.service"
mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants" "$ROOT/etc/systemd/system/sockets.target.wants" "$ROOT/etc/systemd/system/network-online.target.wants" "$ROOT/etc/systemd/system/sysinit.target.wants"
ln -sf /usr/lib/systemd/system/appliance-firstboot.service "$ROOT/etc/systemd/system/multi-user.target.wants/"
ln -sf /lib/systemd/system/systemd-networkd.service "$ROOT/etc/systemd/system/multi-user.target.wants/"
ln -sf /lib/systemd/system/systemd-networkd.socket "$ROOT/etc/systemd/system/sockets.target.wants/"
ln -sf /lib/systemd/system/systemd-resolved.service "$ROOT/etc/systemd/system/multi-user.target.wants/"
if [ -n "${APPLIANCE_IMAGE_OVERLAY:-}" ]; then cp -a "$APPLIANCE_IMAGE_OVERLAY/." "$ROOT/"; fi

# ---- boot partition contents
BOOTD=$WORK/boot
mkdir -p "$BOOTD/appliance" "$BOOTD/syslinux" "$BOOTD/EFI/BOOT"
cp "$ROOT/boot/vmlinuz-$KVER" "$BOOTD/vmlinuz"
cp "$ROOT/boot/initrd.img-$KVER" "$BOOTD/initrd.img"
CMDLINE="root=UUID=$ROOT_UUID ro rootwait console=tty0 console=$CONSOLE,115200 quiet"
[ -n "$TOKEN" ] && printf '%s\n' "$TOKEN" > "$BOOTD/appliance/token"
json_str() { printf '"%s"' "$(printf %s "$1" | sed 's/["\\]/\\&/g')"; }
cat > "$BOOTD/appliance/config.json" <<JSON
{
  "server": $(json_str "$SERVER"),
  "hostname": $(json_str "$HOSTNAME_"),
  "firewall": $(json_str "${FIREWALL:-auto}")
}
JSON
cat > "$BOOTD/appliance/README.txt" <<'TXT'
Appliance boot partition.
  token        the join token (appliance-server key create); removed after the box joined
  config.json  "server": a server URL instead of the token's, "hostname": the node's name (empty: appliance-<machine-id>),
               "firewall": auto|nftables|iptables|iptables-legacy|iptables-nft
  last-error   why the last join failed (the box keeps retrying)
TXT
cat > "$BOOTD/syslinux/syslinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT appliance
PROMPT 0
TIMEOUT 0
LABEL appliance
  LINUX /vmlinuz
  INITRD /initrd.img
  APPEND $CMDLINE
CFG
cat > "$WORK/grub.cfg" <<CFG
set timeout=0
search --no-floppy --label APPLBOOT --set=root
linux /vmlinuz $CMDLINE
initrd /initrd.img
boot
CFG
# GRUB's modules come from the target's own grub-efi package (installed in the root for this). What
# grub-mkstandalone does, by hand: its memdisk tar carries the build time and the builder's uid, this one
# SOURCE_DATE_EPOCH and root, so the EFI binary is the same for the same inputs.
GRUB_MODULES="part_msdos part_gpt fat search search_label linux normal echo configfile boot"
MEMDISK=$WORK/memdisk
mkdir -p "$MEMDISK/boot/grub/$GRUB_TARGET"
cp "$WORK/grub.cfg" "$MEMDISK/boot/grub/grub.cfg"
cp "$ROOT/usr/lib/grub/$GRUB_TARGET"/*.lst "$MEMDISK/boot/grub/$GRUB_TARGET/"
for m in $GRUB_MODULES; do cp "$ROOT/usr/lib/grub/$GRUB_TARGET/$m.mod" "$MEMDISK/boot/grub/$GRUB_TARGET/"; done
tar -C "$MEMDISK" --format=ustar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
  --mode=go-w -cf "$WORK/memdisk.tar" boot
# shellcheck disable=SC2086 # one module a word
grub-mkimage -O "$GRUB_TARGET" -d "$ROOT/usr/lib/grub/$GRUB_TARGET" -o "$BOOTD/EFI/BOOT/$EFI" -p '(memdisk)/boot/grub' \
  -m "$WORK/memdisk.tar" memdisk tar $GRUB_MODULES
find "$BOOTD" "$ROOT" -depth -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} + 2>/dev/null || true

# ---- partitions: 1 MiB alignment; APPLBOOT 128 MiB (kernel + initrd ~40 MiB, room for a second pair or Pi
# firmware); root the rest (the Debian kernel's modules alone take ~400 MiB of it)
P1_START=$((1024 * 1024)) P1_SIZE=$((128 * 1024 * 1024))
P2_START=$((P1_START + P1_SIZE)) P2_SIZE=$((SIZE_BYTES - P1_START - P1_SIZE))
P2_SIZE=$((P2_SIZE / 1048576 * 1048576))
T=$(date +%s)
export MTOOLS_SKIP_CHECK=1
# Makes the two file systems as $1-boot.img and $1-root.img from $BOOTD and $ROOT, the same bytes for the same trees.
make_filesystems() {
  # --invariant: the volume label's directory entry gets a fixed time instead of now (mtools takes
  # SOURCE_DATE_EPOCH for everything it writes); the volume id stays the one given.
  mkfs.fat --invariant -F 32 -n APPLBOOT -i "$FAT_ID" -C "$1-boot.img" $((P1_SIZE / 1024)) >/dev/null
  mcopy -s -p -m -i "$1-boot.img" "$BOOTD"/* ::/
  if [ "$ARCH" = amd64 ]; then syslinux --install --directory /syslinux "$1-boot.img"; fi
  # The root is as big as its partition; its times, UUID and directory hash seed come from the inputs.
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -L approot -U "$ROOT_UUID" -E "hash_seed=$HASH_SEED,root_owner=0:0" \
    -d "$ROOT" "$1-root.img" $((P2_SIZE / 1024))
  # e2fsprogs 1.47.0 copies each file's access and change times from the tree as they are at the copy: the change
  # time is when the build wrote the file, and the copy's own reads move the access time. Both become
  # SOURCE_DATE_EPOCH (the modification times already are, or older from the packages), in every inode in use.
  local inodes
  inodes=$(dumpe2fs -h "$1-root.img" 2>/dev/null | awk -F: '/^Inode count/ { print $2 + 0 }')
  seq 1 "$inodes" | sed 's/.*/testi <&>/' | debugfs -f - "$1-root.img" 2>/dev/null \
    | sed -n 's/^Inode \([0-9]*\) is marked in use$/\1/p' \
    | awk -v t="$SOURCE_DATE_EPOCH" '{ print "sif <" $1 "> atime @" t; print "sif <" $1 "> ctime @" t }' \
    | E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f - "$1-root.img" >/dev/null 2>"$WORK/debugfs.log" \
    || { cat "$WORK/debugfs.log" >&2; die "debugfs could not set the root's inode times"; }
}
make_filesystems "$WORK/fs"
if [ "${APPLIANCE_IMAGE_MANIFEST:-}" ]; then
  # One line per file of both trees (path, type, mode, owner, size, mtime, link target), then every regular file's sha256. Two builds
  # with equal manifests made equal trees; then the file systems above are equal byte for byte.
  (cd "$WORK" && { find root boot -printf '%p\t%y\t%m\t%U:%G\t%s\t%T@\t%l\n' | LC_ALL=C sort
    find root boot -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum; }) > "$APPLIANCE_IMAGE_MANIFEST"
  say "manifest of the trees: $APPLIANCE_IMAGE_MANIFEST ($(wc -l < "$APPLIANCE_IMAGE_MANIFEST") files)"
fi
if [ "${APPLIANCE_IMAGE_REPRO_CHECK:-}" = 1 ]; then
  # The file systems made a second time from the same trees must be the same bytes, though every file's change time
  # is now later (rewritten with its own times) and the first copy moved the access times: what another build of
  # the same packages would give.
  perl -MFile::Find -e 'use Time::HiRes qw(lstat utime);
    find({ no_chdir => 1, wanted => sub { return if -l $_; my @s = lstat($_) or die "$_: $!"; utime($s[8], $s[9], $_) or die "$_: $!" } }, @ARGV)' \
    "$ROOT" "$BOOTD"
  find "$ROOT" "$BOOTD" -type l -exec touch -h -r {} {} \;
  make_filesystems "$WORK/again"
  for f in boot root; do
    cmp "$WORK/fs-$f.img" "$WORK/again-$f.img" >&2 || die "the $f file system differs when made twice from the same tree"
    rm -f "$WORK/again-$f.img"
  done
  say "reproducible: boot and root file systems made twice from the same trees are the same bytes"
fi
rm -f "$OUT"
truncate -s "$SIZE_BYTES" "$OUT"
sfdisk --quiet --no-reread --no-tell-kernel "$OUT" <<PT
label: dos
label-id: $DISK_ID
unit: sectors
start=$((P1_START / 512)), size=$((P1_SIZE / 512)), type=c, bootable
start=$((P2_START / 512)), size=$((P2_SIZE / 512)), type=83
PT
if [ "$ARCH" = amd64 ]; then
  dd if=/usr/lib/syslinux/mbr/mbr.bin of="$OUT" bs=440 count=1 conv=notrunc status=none
fi
dd if="$WORK/fs-boot.img" of="$OUT" bs=1M seek=$((P1_START / 1048576)) conv=notrunc,sparse status=none
dd if="$WORK/fs-root.img" of="$OUT" bs=1M seek=$((P2_START / 1048576)) conv=notrunc,sparse status=none
say "file systems and partitions done ($(( $(date +%s) - T ))s)"
say "wrote $OUT: $ARCH, $SIZE, kernel $KVER, root UUID $ROOT_UUID, $(du -h "$OUT" | cut -f1) used, in $(( $(date +%s) - T0 ))s"
