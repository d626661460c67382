#!/usr/bin/env bash
# build-deb.sh - Debian packages of the agent and the server, with their systemd units, made with dpkg-deb.
#
#   image/build-deb.sh --arch amd64|arm64 [--package agent|server|all] [--out-dir DIR]
#
# appliance-agent_<version>_<arch>.deb   the NativeAOT agent (/usr/bin/appliance-agent) and appliance-agent.service
#                                        (enabled by nothing: a box joins first, then enables it; see image/README.md)
# appliance-server_<version>_<arch>.deb  the self-contained server in /usr/lib/appliance-server, /usr/bin/appliance-server,
#                                        appliance-server.service (enabled and started: embedded defaults, data in
#                                        /var/lib/appliance-server)
# Both install with `apt install ./appliance-*.deb`. Prints the paths of the packages it made, one a line.
# Environment: APPLIANCE_VERSION (default 0.1.0~git<commit date>.<commit>), SOURCE_DATE_EPOCH (default: the commit
# time), APPLIANCE_AGENT_BIN (a prebuilt agent binary instead of a NativeAOT publish).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
ARCH= PKG=all OUTDIR=$PWD
die() { echo "build-deb: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) ARCH=${2:?}; shift 2;;
    --package) PKG=${2:?}; shift 2;;
    --out-dir) OUTDIR=${2:?}; shift 2;;
    -h|--help) sed -n '2,14p' "$0"; exit 0;;
    *) die "unknown option $1";;
  esac
done
case "$ARCH" in amd64) RID=linux-x64;; arm64) RID=linux-arm64;; *) die "--arch amd64|arm64 is required";; esac
case "$PKG" in agent|server|all) ;; *) die "--package agent|server|all";; esac
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (apt-get install dpkg)"
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo 0)}
if [ -z "${APPLIANCE_VERSION:-}" ]; then
  APPLIANCE_VERSION="0.1.0~git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d).$(git -C "$REPO" rev-parse --short=9 HEAD 2>/dev/null || echo 0)"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/appliance-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Writes DEBIAN/control and md5sums, fixes modes and times, and packs $1 into $2 (same bytes for the same inputs).
pack() {
  local root=$1 out=$2
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r md5sum > DEBIAN/md5sums)
  chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
  find "$root" -depth -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
  echo "$out"
}

installed_size() { du -sk --exclude=DEBIAN "$1" | cut -f1; }

# Adds package $2's maintainer scripts and filled-in control file (image/deb/$2.*) to the tree $1, then packs it.
finish_package() {
  local root=$1 name=$2
  install -d -m 0755 "$root/DEBIAN"
  for s in postinst prerm postrm; do install -m 0755 "$HERE/deb/$name.$s" "$root/DEBIAN/$s"; done
  sed -e "s/@VERSION@/$APPLIANCE_VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$(installed_size "$root")/" \
    "$HERE/deb/$name.control" > "$root/DEBIAN/control"
  pack "$root" "$OUTDIR/${name}_${APPLIANCE_VERSION}_${ARCH}.deb"
}

agent() {
  local root=$WORK/agent bin=${APPLIANCE_AGENT_BIN:-}
  if [ -z "$bin" ]; then
    # The release build of the agent: one NativeAOT binary (README "The device binary").
    nice dotnet publish "$REPO/agent-lite/Appliance.Agent" -nologo -v q -c Release -r "$RID" -p:PublishAot=true \
      -o "$WORK/agent-publish" >&2
    bin=$WORK/agent-publish/appliance-agent
  fi
  install -D -m 0755 "$bin" "$root/usr/bin/appliance-agent"
  install -D -m 0644 "$REPO/agent-lite/packaging/appliance-agent.service" "$root/usr/lib/systemd/system/appliance-agent.service"
  finish_package "$root" appliance-agent
}

server() {
  local root=$WORK/server
  # Self-contained: Debian has no ASP.NET Core runtime package. Invariant globalization (Directory.Build.props), so no ICU.
  nice dotnet publish "$REPO/server/Appliance.Server" -nologo -v q -c Release -r "$RID" --self-contained \
    -p:PublishAot=false -o "$root/usr/lib/appliance-server" >&2
  find "$root/usr/lib/appliance-server" -name '*.pdb' -delete
  chmod -R u=rwX,go=rX "$root/usr/lib/appliance-server"
  chmod 0755 "$root/usr/lib/appliance-server/appliance-server"
  install -D -m 0755 "$HERE/deb/appliance-server.wrapper" "$root/usr/bin/appliance-server"
  install -D -m 0644 "$HERE/deb/appliance-server.service" "$root/usr/lib/systemd/system/appliance-server.service"
  finish_package "$root" appliance-server
}

case "$PKG" in agent) agent;; server) server;; all) agent; server;; esac
