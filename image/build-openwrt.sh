#!/usr/bin/env bash
# build-openwrt.sh - the agent as an OpenWRT package: the opkg .ipk of OpenWRT 24.10 and/or the apk-tools 3 .apk of
# OpenWRT 25.12, each with a procd init script, the uci config /etc/config/appliance (token, server, firewall), a
# uci-defaults script and fw4 as its firewall backend.
#
#   image/build-openwrt.sh --arch aarch64|x86_64 [--openwrt-arch NAME] [--format ipk|apk|both] [--out-dir DIR]
#
# OpenWRT's C library is musl and no musl NativeAOT pack is served here, so the package carries the glibc NativeAOT
# agent with its own glibc loader, libc, libm and OpenSSL (agent-lite/packaging/glibc-bundle.sh) in
# /usr/lib/appliance-agent, and /usr/bin/appliance-agent is the bundle's wrapper: nothing of the system changes.
# --openwrt-arch is the package architecture opkg/apk match against their arch list (default aarch64_generic and
# x86_64); the binary needs only ARMv8.0 / x86-64, so any aarch64_* target may take it with that name.
# --format (default ipk): the .apk is written by image/Appliance.ApkTool (our own ADB writer; Debian has no
# apk-tools 3), unsigned: install it with apk add --allow-untrusted. Its version is APPLIANCE_VERSION made an apk
# version (0.1.0~git20261205.1a2b3c4d5 -> 0.1.0_git20261205~1a2b3c4d5-r0; one that already is one stays).
# Prints the path of each package. Environment: APPLIANCE_VERSION, SOURCE_DATE_EPOCH (as build-deb.sh),
# APPLIANCE_AGENT_BIN (a prebuilt NativeAOT agent for the architecture instead of a publish), APPLIANCE_APK_TOOL
# (a built appliance-apk.dll instead of building image/Appliance.ApkTool).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
ARCH= OWRT_ARCH= OUTDIR=$PWD FORMAT=ipk
die() { echo "build-openwrt: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) ARCH=${2:?}; shift 2;;
    --openwrt-arch) OWRT_ARCH=${2:?}; shift 2;;
    --out-dir) OUTDIR=${2:?}; shift 2;;
    --format) FORMAT=${2:?}; shift 2;;
    -h|--help) sed -n '2,20p' "$0"; exit 0;;
    *) die "unknown option $1";;
  esac
done
case "$ARCH" in
  aarch64) RID=linux-arm64 BUNDLE=arm64 OWRT_ARCH=${OWRT_ARCH:-aarch64_generic};;
  x86_64) RID=linux-x64 BUNDLE=x64 OWRT_ARCH=${OWRT_ARCH:-x86_64};;
  *) die "--arch aarch64|x86_64 is required";;
esac
[[ "$OWRT_ARCH" =~ ^[a-z0-9_-]{1,64}$ ]] || die "--openwrt-arch '$OWRT_ARCH': letters, digits, '_' and '-' only"
case "$OWRT_ARCH" in "$ARCH"*) ;; *) die "--openwrt-arch '$OWRT_ARCH' is not an $ARCH architecture";; esac
case "$FORMAT" in ipk|apk|both) ;; *) die "--format '$FORMAT': ipk, apk or both";; esac
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo 0)}
if [ -z "${APPLIANCE_VERSION:-}" ]; then
  APPLIANCE_VERSION="0.1.0~git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d).$(git -C "$REPO" rev-parse --short=9 HEAD 2>/dev/null || echo 0)"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/appliance-ipk.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

bin=${APPLIANCE_AGENT_BIN:-}
if [ -z "$bin" ]; then
  nice dotnet publish "$REPO/agent-lite/Appliance.Agent" -nologo -v q -c Release -r "$RID" -p:PublishAot=true \
    -o "$WORK/agent-publish" >&2
  bin=$WORK/agent-publish/appliance-agent
fi

root=$WORK/data
bash "$REPO/agent-lite/packaging/glibc-bundle.sh" "$bin" "$BUNDLE" "$root/usr/lib/appliance-agent" >&2
install -d -m 0755 "$root/usr/bin" "$root/etc/init.d" "$root/etc/config" "$root/etc/uci-defaults" "$root/usr/libexec"
ln -s ../lib/appliance-agent/appliance-agent "$root/usr/bin/appliance-agent"
install -m 0755 "$REPO/agent-lite/packaging/appliance-agent.init" "$root/etc/init.d/appliance-agent"
install -m 0755 "$HERE/openwrt/appliance-join" "$root/usr/libexec/appliance-join"
install -m 0600 "$HERE/openwrt/appliance.config" "$root/etc/config/appliance"
install -m 0755 "$HERE/openwrt/90-appliance-agent" "$root/etc/uci-defaults/90-appliance-agent"
# Directories as any package's, whatever the umask (the .apk's root entry sets the mode of / itself).
find "$root" -type d -exec chmod 0755 {} +

make_ipk() {
  local control=$WORK/control pkg=$WORK/pkg size out
  install -d -m 0755 "$control"
  size=$(find "$root" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  sed -e "s/@VERSION@/$APPLIANCE_VERSION/" -e "s/@ARCH@/$OWRT_ARCH/" -e "s/@SIZE@/$size/" "$HERE/openwrt/control" > "$control/control"
  install -m 0644 "$HERE/openwrt/conffiles" "$control/conffiles"
  install -m 0755 "$HERE/openwrt/postinst" "$HERE/openwrt/prerm" "$control/"

  # ipkg-build's layout: a gzipped tar of debian-binary, data.tar.gz and control.tar.gz, owned by root, with fixed
  # times and order, so the same inputs give the same bytes.
  targz() { # DIR OUT: the tree's contents as ./..., reproducibly
    tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name --mtime="@$SOURCE_DATE_EPOCH" -C "$1" -cf - . | gzip -9n > "$2"
  }
  install -d "$pkg"
  printf '2.0\n' > "$pkg/debian-binary"
  targz "$root" "$pkg/data.tar.gz"
  targz "$control" "$pkg/control.tar.gz"
  find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  out=$OUTDIR/appliance-agent_${APPLIANCE_VERSION}_${OWRT_ARCH}.ipk
  tar --format=gnu --numeric-owner --owner=0 --group=0 --mtime="@$SOURCE_DATE_EPOCH" -C "$pkg" -cf - ./debian-binary ./data.tar.gz ./control.tar.gz | gzip -9n > "$out"
  echo "$out"
}

# apk-tools 3's package (OpenWRT 25.12): the same payload, plus what OpenWRT's build adds for apk in
# /lib/apk/packages: the file list (default_postinst reads it), the conffiles, and the conffiles with their sha256
# (sysupgrade keeps a changed one). apk itself keeps a changed /etc file on upgrade (the new one as .apk-new).
make_apk() {
  local apkver=$APPLIANCE_VERSION aroot=$WORK/apk-data meta=$WORK/apk-data/lib/apk/packages scripts=$WORK/apk-scripts
  local tool=${APPLIANCE_APK_TOOL:-} desc out
  if [[ "$apkver" =~ ^([0-9][0-9.]*)~git([0-9]+)\.([0-9a-f]+)$ ]]; then
    apkver="${BASH_REMATCH[1]}_git${BASH_REMATCH[2]}~${BASH_REMATCH[3]}-r0"
  fi
  cp -a "$root" "$aroot"
  install -d -m 0755 "$aroot/lib" "$aroot/lib/apk" "$meta" "$scripts"
  # The payload's files and links (written aside first, so the list does not name itself).
  (cd "$aroot" && find . \( -type f -o -type l \) -printf '/%P\n' | LC_ALL=C sort) > "$WORK/apk.list"
  mv "$WORK/apk.list" "$meta/appliance-agent.list"
  install -m 0644 "$HERE/openwrt/conffiles" "$meta/appliance-agent.conffiles"
  while read -r f; do
    printf '%s %s\n' "$f" "$(sha256sum "$aroot$f" | cut -d' ' -f1)"
  done < "$HERE/openwrt/conffiles" > "$meta/appliance-agent.conffiles_static"
  chmod 0644 "$meta"/*
  # On upgrade apk runs the upgrade scripts instead of the install ones: the same, told it is an upgrade.
  { echo '#!/bin/sh'; echo 'export PKG_UPGRADE=1'; sed 1d "$HERE/openwrt/apk/post-install"; } > "$scripts/post-upgrade"
  if [ -z "$tool" ]; then
    nice dotnet build "$REPO/image/Appliance.ApkTool" -nologo -v q -c Release -o "$WORK/apk-tool" >&2
    tool=$WORK/apk-tool/appliance-apk.dll
  fi
  # The control file's description, as one line.
  desc=$(sed -n '/^Description:/,$p' "$HERE/openwrt/control" | sed 's/^Description: //; s/^ //' | tr '\n' ' ' | sed 's/ *$//')
  out=$OUTDIR/appliance-agent_${apkver}_${OWRT_ARCH}.apk
  dotnet "$tool" mkpkg --files "$aroot" --output "$out" \
    --info name:appliance-agent --info "version:$apkver" --info "arch:$OWRT_ARCH" --info "description:$desc" \
    --info "depends:kmod-wireguard firewall4" --info "maintainer:Appliance <appliance@localhost>" \
    --script "post-install:$HERE/openwrt/apk/post-install" --script "post-upgrade:$scripts/post-upgrade" \
    --script "pre-deinstall:$HERE/openwrt/apk/pre-deinstall" >&2
  echo "$out"
}

case "$FORMAT" in
  ipk) make_ipk;;
  apk) make_apk;;
  both) make_ipk; make_apk;;
esac
