#!/usr/bin/env bash
# glibc-bundle.sh BINARY ARCH OUT - the NativeAOT agent with its own glibc, for a system without one (OpenWRT: musl).
# OUT gets appliance-agent (a /bin/sh wrapper), appliance-agent.bin, and lib/ with glibc's loader, libc, libm and
# OpenSSL 3 (which .NET loads with dlopen): the wrapper starts the binary through that loader with --library-path,
# so nothing is read from the system's /lib and no system file changes. Nothing of the bundle leaks into the
# programs the agent runs (wireguard-go, ip, nft): --library-path is the loader's, not the environment's.
#   ARCH=x64   libraries from this Debian host (/lib/x86_64-linux-gnu)
#   ARCH=arm64 glibc from the cross C library (libc6-arm64-cross: /usr/aarch64-linux-gnu/lib), OpenSSL from Debian's
#              libssl3:arm64 (fetched by scripts/fetch-debs.sh into /var/cache/appliance-arm64/debs)
# Prints the bundle's size. docs/BENCHMARKS.md "OpenWRT (musl)" says what it costs and what it proves.
set -euo pipefail
BIN=${1:?BINARY}; ARCH=${2:?ARCH x64|arm64}; OUT=${3:?OUT}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $ARCH in
  x64) LIBC=/lib/x86_64-linux-gnu; LOADER=ld-linux-x86-64.so.2; SSL=/usr/lib/x86_64-linux-gnu ;;
  arm64)
    LIBC=/usr/aarch64-linux-gnu/lib; LOADER=ld-linux-aarch64.so.1
    deb=$(bash "$ROOT/scripts/fetch-debs.sh" arm64 /var/cache/appliance-arm64/debs libssl3)
    x=$(mktemp -d); trap 'rm -rf "$x"' EXIT; dpkg-deb -x "$deb" "$x"; SSL=$x/usr/lib/aarch64-linux-gnu ;;
  *) echo "ARCH is x64 or arm64, not '$ARCH'" >&2; exit 2 ;;
esac
mkdir -p "$OUT/lib"
cp "$BIN" "$OUT/appliance-agent.bin"
for l in "$LIBC/$LOADER" "$LIBC/libc.so.6" "$LIBC/libm.so.6" "$SSL/libssl.so.3" "$SSL/libcrypto.so.3"; do
  [ -e "$l" ] || { echo "missing $l" >&2; exit 1; }
  cp -L "$l" "$OUT/lib/"
done
# What the binary and OpenSSL link against must all be in lib/ (readelf works for any architecture).
for f in "$OUT/appliance-agent.bin" "$OUT"/lib/*.so*; do
  for n in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$OUT/lib/$n" ] || { echo "$(basename "$f") needs $n, which is not in the bundle" >&2; exit 1; }
  done
done
cat > "$OUT/appliance-agent" <<WRAP
#!/bin/sh
# The agent with its own glibc (agent-lite/packaging/glibc-bundle.sh): no system C library is used.
d=\$(dirname "\$(readlink -f "\$0")")
exec "\$d/lib/$LOADER" --library-path "\$d/lib" "\$d/appliance-agent.bin" "\$@"
WRAP
chmod 755 "$OUT/appliance-agent" "$OUT/appliance-agent.bin" "$OUT/lib/$LOADER"
echo "bundle $OUT: $(du -sk "$OUT" | cut -f1) KiB, libraries $(du -sk "$OUT/lib" | cut -f1) KiB, xz -9e $(tar -C "$OUT" -cf - . | xz -9e -T1 | wc -c) bytes"
