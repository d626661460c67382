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
# The external broker cluster (RabbitMqBrokerTests): RabbitMQ with its MQTT and management plugins, and epmd.
have rabbitmq-server   || need+=(rabbitmq-server)
have epmd              || need+=(erlang-base)
have qemu-system-x86_64 || need+=(qemu-system-x86)
have cpio              || need+=(cpio)
have xz                || need+=(xz-utils)
have depmod            || need+=(kmod)
have readelf           || need+=(binutils)
have openssl           || need+=(openssl)
have conntrack         || need+=(conntrack)
# The NAT traversal proof (NatNetnsTests) measures relay vs direct throughput over the tunnel.
have iperf3            || need+=(iperf3)
have tcpdump           || need+=(tcpdump)
have nc                || need+=(netcat-openbsd)
# The VM agents' server link (qemu's guestfwd runs one socat per guest connection): HardwareRssVmTests, GpioButtonVmTests.
have socat             || need+=(socat)
have dig               || need+=(dnsutils)
have kdig              || need+=(knot-dnsutils)
# DNS interop and benchmark: dnsmasq (the binary only, no system service), unbound, dnsperf.
have dnsmasq           || need+=(dnsmasq-base)
have unbound           || need+=(unbound)
have dnsperf           || need+=(dnsperf)
# GET /metrics (MetricsApiTests): promtool parses and lints the exposition; Debian ships it in prometheus.
have promtool          || need+=(prometheus)
# The NativeAOT agent (AotPublishTests, docs/BENCHMARKS.md "Agent memory"): clang links it; the arm64 cross linker,
# binutils and C library link the linux-arm64 build; qemu-user runs that binary here.
have clang             || need+=(clang)
have aarch64-linux-gnu-gcc     || need+=(gcc-aarch64-linux-gnu)
have aarch64-linux-gnu-objcopy || need+=(binutils-aarch64-linux-gnu)
[ -f /usr/aarch64-linux-gnu/lib/crt1.o ] || need+=(libc6-dev-arm64-cross)
have qemu-aarch64      || need+=(qemu-user)
# Images and packages (image/build-image.sh, image/build-deb.sh, tests/Appliance.Image.Tests): Debian's bootstrapper,
# file-based FAT/ext4/partition tools, syslinux (BIOS) and GRUB (UEFI) for the boot partition, qemu for arm64 with
# its UEFI firmware (AAVMF) and user-mode emulation (the arm64 root is configured under binfmt_misc, which
# build-image.sh mounts and registers qemu-aarch64 in where it is not), OVMF, dpkg-deb; debugfs (e2fsprogs) clamps
# the root file system's inode times.
have mmdebstrap        || need+=(mmdebstrap)
have mcopy             || need+=(mtools)
have mkfs.fat          || need+=(dosfstools)
have mkfs.ext4 && have debugfs || need+=(e2fsprogs)
have sfdisk            || need+=(fdisk)
have syslinux          || need+=(syslinux)
[ -f /usr/lib/syslinux/mbr/mbr.bin ] || need+=(syslinux-common)
have grub-mkimage      || need+=(grub-common)
[ -d /usr/lib/grub/x86_64-efi ] || need+=(grub-efi-amd64-bin)
have qemu-system-aarch64 || need+=(qemu-system-arm)
[ -f /usr/share/qemu-efi-aarch64/QEMU_EFI.fd ] || need+=(qemu-efi-aarch64)
[ -f /usr/share/ovmf/OVMF.fd ] || need+=(ovmf)
have qemu-aarch64-static && have update-binfmts || need+=(qemu-user-static binfmt-support)
have dpkg-deb          || need+=(dpkg)
# The OpenWRT package's proof (OpenWrtPackageTests): a root holding only musl and a static busybox, as OpenWRT has.
[ -x /bin/busybox ]    || need+=(busybox-static)
[ -f /lib/ld-musl-x86_64.so.1 ] || need+=(musl)
have curl              || need+=(curl)
# The PostgreSQL store's contract suite and replica tests (tests/Appliance.Server.Tests PostgresCluster) run their own
# server from /usr/lib/postgresql/*/bin (initdb, pg_ctl) as the package's postgres user when the tests run as root.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
# JoinEndToEndTests traces the agent's file calls to show a pinned agent never reads the system's trust store.
have strace            || need+=(strace)
# The web console's browser tests (tests/Appliance.Console.Tests) drive Debian's chromium through Playwright.
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "missing test prerequisites (${need[*]}) and not root to install them" >&2; exit 1; fi
  echo "installing test prerequisites: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's mosquitto package may start a system broker on 1883; tests start their own on other ports.
# Debian's rabbitmq-server may start a system node; the tests start their own nodes with their own epmd and ports.
# The unbound package may start a system resolver on 53; the DNS tests start their own on free loopback ports.
# The GPIO button's VM test (GpioButtonVmTests) boots trixie-backports' kernel (gpio-sim; Debian 12's 6.1 has none):
# fetched once, with a private apt state, into the VM cache (the system's apt sources are not changed).
if [ "$(id -u)" = 0 ]; then
  bash "$(dirname "$0")/fetch-kernel.sh" trixie-backports /var/cache/appliance-vm/debs-trixie-backports >/dev/null
fi
