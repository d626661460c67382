#!/usr/bin/env bash
# Installs the third-party programs the Interop, Netns and Vm tests drive, when missing (Debian 12, root).
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have wireguard-go      || need+=(wireguard-go)
have wg                || need+=(wireguard-tools)
have ip                || need+=(iproute2)
have ping              || need+=(iputils-ping)
have nft               || need+=(nftables)
have iptables-legacy   || need+=(iptables)
have mosquitto         || need+=(mosquitto)
have mosquitto_pub     || need+=(mosquitto-clients)
have qemu-system-x86_64 || need+=(qemu-system-x86)
have cpio              || need+=(cpio)
have xz                || need+=(xz-utils)
have depmod            || need+=(kmod)
have readelf           || need+=(binutils)
have openssl           || need+=(openssl)
have conntrack         || need+=(conntrack)
have tcpdump           || need+=(tcpdump)
have dig               || need+=(dnsutils)
have kdig              || need+=(knot-dnsutils)
# DNS interop and benchmark: dnsmasq (the binary only, no system service), unbound, dnsperf.
have dnsmasq           || need+=(dnsmasq-base)
have unbound           || need+=(unbound)
have dnsperf           || need+=(dnsperf)
# The NativeAOT agent (AotPublishTests, docs/BENCHMARKS.md "Agent memory"): clang links it; the arm64 cross linker,
# binutils and C library link the linux-arm64 build; qemu-user runs that binary here.
have clang             || need+=(clang)
have aarch64-linux-gnu-gcc     || need+=(gcc-aarch64-linux-gnu)
have aarch64-linux-gnu-objcopy || need+=(binutils-aarch64-linux-gnu)
[ -f /usr/aarch64-linux-gnu/lib/crt1.o ] || need+=(libc6-dev-arm64-cross)
have qemu-aarch64      || need+=(qemu-user)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "missing test prerequisites (${need[*]}) and not root to install them" >&2; exit 1; fi
  echo "installing test prerequisites: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's mosquitto package may start a system broker on 1883; tests start their own on other ports.
# The unbound package may start a system resolver on 53; the DNS tests start their own on free loopback ports.
