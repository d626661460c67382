#!/usr/bin/env bash
# fetch-kernel.sh SUITE DEST - downloads the amd64 kernel that Debian's linux-image-amd64 names in SUITE (e.g.
# trixie-backports) into DEST, once (cached there), without touching the system's apt or dpkg: a private apt state
# under DEST/.apt with one source line (http://deb.debian.org/debian SUITE main, or $DEBIAN_MIRROR), signed by the
# system's debian-archive-keyring. Prints the kernel release, then the path of each .deb, one a line: the
# linux-image-<release> package and, for the split layout of Linux 7 (where linux-image-<release> is only the
# dependencies), linux-base-, linux-binary- and linux-modules-<release>. Used by the VM tests that need a kernel
# feature Debian 12's 6.1 lacks (gpio-sim).
set -euo pipefail
SUITE=${1:?SUITE}; DEST=${2:?DEST}
case $SUITE in *[!a-z0-9-]*|'') echo "bad suite '$SUITE'" >&2; exit 2 ;; esac
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$DEST/.apt/state/lists/partial" "$DEST/.apt/cache/archives/partial" "$DEST/.apt/etc/preferences.d"
exec 9>"$DEST/.lock"
flock -w 600 9
echo "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" > "$DEST/.apt/etc/sources.list"
APT=(-o "APT::Architecture=amd64" -o "APT::Architectures::=amd64" -o "Dir::Etc::SourceList=$DEST/.apt/etc/sources.list"
     -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State=$DEST/.apt/state" -o "Dir::State::status=/dev/null"
     -o "Dir::Cache=$DEST/.apt/cache" -o "Dir::Etc::Preferences=$DEST/.apt/etc/preferences"
     -o "Dir::Etc::PreferencesParts=$DEST/.apt/etc/preferences.d" -o "APT::Sandbox::User=root" -q)
# The package lists are refreshed once a day at most; a kernel already downloaded is used while they are fresh.
if [ -z "$(find "$DEST/.apt/state/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  apt-get "${APT[@]}" update >/dev/null
fi
depends() { apt-cache "${APT[@]}" show "$1" | awk -F': ' '/^Depends:/{print $2; exit}' | tr ',' '\n' | sed 's/^ *//; s/ .*//; s/|.*//'; }
IMAGE=$(depends linux-image-amd64 | grep -m1 '^linux-image-[0-9]' || true)
[ -n "$IMAGE" ] || { echo "no linux-image-amd64 in $SUITE (or it names no linux-image-<release>)" >&2; exit 1; }
KVER=${IMAGE#linux-image-}
PKGS=("$IMAGE")
for p in $(depends "$IMAGE" | grep -Fx -e "linux-base-$KVER" -e "linux-binary-$KVER" -e "linux-modules-$KVER" || true); do PKGS+=("$p"); done
echo "$KVER"
for p in "${PKGS[@]}"; do
  v=$(apt-cache "${APT[@]}" policy "$p" | awk '/Candidate:/{print $2}')
  [ -n "$v" ] && [ "$v" != "(none)" ] || { echo "no package '$p' in $SUITE" >&2; exit 1; }
  f="$DEST/${p}_$(echo "$v" | sed 's/:/%3a/')_amd64.deb"
  [ -s "$f" ] || (cd "$DEST" && apt-get "${APT[@]}" download "$p" >/dev/null)
  [ -s "$f" ] || { echo "apt-get download $p gave no $f" >&2; exit 1; }
  echo "$f"
done
