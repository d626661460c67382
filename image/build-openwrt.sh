#!/usr/bin/env bash
# build-openwrt.sh - the agent as an OpenWRT package (opkg .ipk, OpenWRT 24.10), with a procd init script, the uci
# config /etc/config/appliance (token, server, firewall), a uci-defaults script and fw4 as its firewall backend.
#
#   image/build-openwrt.sh --arch aarch64|x86_64 [--openwrt-arch NAME] [--out-dir DIR]
#
# OpenWRT's C library is musl and no musl NativeAOT pack is served here, so the package carries the glibc NativeAOT
# agent with its own glibc loader, libc, libm and OpenSSL (agent-lite/packaging/glibc-bundle.sh) in
# /usr/lib/appliance-agent, and /usr/bin/appliance-agent is the bundle's wrapper: nothing of the system changes.
# --openwrt-arch is the package architecture opkg matches against its arch list (default aarch64_generic and
# x86_64); the binary needs only ARMv8.0 / x86-64, so any aarch64_* target may take it with that name.
# Prints the path of the package. Environment: APPLIANCE_VERSION, SOURCE_DATE_EPOCH (as build-deb.sh),
# APPLIANCE_AGENT_BIN (a prebuilt NativeAOT agent for the architecture instead of a publish).
# The .apk of OpenWRT 25.12 (apk-tools 3, ADB format) is not made: see image/README.md.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
ARCH= OWRT_ARCH= OUTDIR=$PWD
die() { echo "build-openwrt: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) ARCH=${2:?}; shift 2;;
    --openwrt-arch) OWRT_ARCH=${2:?}; shift 2;;
    --out-dir) OUTDIR=${2:?}; shift 2;;
    -h|--help) sed -n '2,16p' "$0"; exit 0;;
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

control=$WORK/control
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
pkg=$WORK/pkg
install -d "$pkg"
printf '2.0\n' > "$pkg/debian-binary"
targz "$root" "$pkg/data.tar.gz"
targz "$control" "$pkg/control.tar.gz"
find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
out=$OUTDIR/appliance-agent_${APPLIANCE_VERSION}_${OWRT_ARCH}.ipk
tar --format=gnu --numeric-owner --owner=0 --group=0 --mtime="@$SOURCE_DATE_EPOCH" -C "$pkg" -cf - ./debian-binary ./data.tar.gz ./control.tar.gz | gzip -9n > "$out"
echo "$out"
