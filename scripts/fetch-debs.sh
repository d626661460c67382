#!/usr/bin/env bash
# fetch-debs.sh ARCH DEST PACKAGE... - downloads Debian packages of a foreign architecture (arm64) into DEST, once
# (cached there), without touching the system's apt or dpkg: a private apt state under DEST/.apt reads the system's
# own sources for ARCH only. Prints the path of each .deb, one a line. Used by the arm64 tests (qemu-user smoke,
# the arm64 VM) for what the cross toolchain packages do not carry (libssl3, busybox-static, the kernel...).
set -euo pipefail
ARCH=${1:?ARCH}; DEST=${2:?DEST}; shift 2
[ $# -gt 0 ] || { echo "usage: fetch-debs.sh ARCH DEST PACKAGE..." >&2; exit 2; }
case $ARCH in *[!a-z0-9]*|'') echo "bad architecture '$ARCH'" >&2; exit 2 ;; esac
mkdir -p "$DEST/.apt/state/lists/partial" "$DEST/.apt/cache/archives/partial" "$DEST/.apt/etc/preferences.d"
exec 9>"$DEST/.lock"
flock -w 600 9
APT=(-o "APT::Architecture=$ARCH" -o "APT::Architectures::=$ARCH" -o "Dir::State=$DEST/.apt/state"
     -o "Dir::State::status=/dev/null" -o "Dir::Cache=$DEST/.apt/cache" -o "Dir::Etc::Preferences=$DEST/.apt/etc/preferences"
     -o "Dir::Etc::PreferencesParts=$DEST/.apt/etc/preferences.d" -o "APT::Sandbox::User=root" -q)
# The package lists are refreshed once a day at most.
if [ -z "$(find "$DEST/.apt/state/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  apt-get "${APT[@]}" update >/dev/null
fi
for p in "$@"; do
  case $p in *[!a-z0-9.+-]*|'') echo "bad package name '$p'" >&2; exit 2 ;; esac
  v=$(apt-cache "${APT[@]}" policy "$p" | awk '/Candidate:/{print $2}')
  [ -n "$v" ] && [ "$v" != "(none)" ] || { echo "no $ARCH package '$p'" >&2; exit 1; }
  f="$DEST/${p}_$(echo "$v" | sed 's/:/%3a/')_$ARCH.deb"
  [ -s "$f" ] || (cd "$DEST" && apt-get "${APT[@]}" download "$p:$ARCH" >/dev/null)
  [ -s "$f" ] || { echo "apt-get download $p:$ARCH gave no $f" >&2; exit 1; }
  echo "$f"
done
