namespace Appliance.Image.Tests;

/// <summary>
/// The tests' only addition to the image (through APPLIANCE_IMAGE_OVERLAY): a unit that prints, every few seconds,
/// what the tests check to the console: the firmware and CPU (once), joined or not, kernel WireGuard, the own mesh address, a ping to every peer's
/// mesh address, the agent's unit state and the mesh names in /etc/hosts.
/// </summary>
public static class ProbeOverlay
{
    public static void Write(string dir, string network)
    {
        var sbin = Path.Combine(dir, "usr", "local", "sbin");
        var units = Path.Combine(dir, "etc", "systemd", "system");
        var wants = Path.Combine(units, "multi-user.target.wants");
        Directory.CreateDirectory(sbin);
        Directory.CreateDirectory(wants);
        var script = Path.Combine(sbin, "appliance-probe");
        File.WriteAllText(script, $$"""
            #!/bin/sh
            # Test probe (tests/Appliance.Image.Tests): what the tests check, on the console.
            exec > /dev/console 2>&1
            # How the box was started: the firmware that booted it (a UEFI boot leaves /sys/firmware/efi) and the CPU.
            echo "@@PROBE firmware $([ -d /sys/firmware/efi ] && echo uefi || echo bios) machine $(uname -m)"
            while :; do
              if [ -s /var/lib/appliance/state.json ]; then
                kernel=no
                [ -d /sys/module/wireguard ] && ip -d link show appliance0 2>/dev/null | grep -q 'wireguard' && kernel=yes
                echo "@@PROBE kernel-wg $kernel"
                echo "@@PROBE self $(ip -4 -o addr show dev appliance0 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n1)"
                for a in $(wg show appliance0 allowed-ips 2>/dev/null | tr '\t ' '\n\n' | grep '/32$' | cut -d/ -f1); do
                  if ping -c 1 -W 3 "$a" >/dev/null 2>&1; then echo "@@PROBE ping $a ok"; else echo "@@PROBE ping $a fail"; fi
                done
                echo "@@PROBE agent $(systemctl is-active appliance-agent.service)"
                echo "@@PROBE hosts $(grep -c '\.{{network}}\b' /etc/hosts)"
              fi
              sleep 4
            done

            """.Replace("\r", "", StringComparison.Ordinal));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.WriteAllText(Path.Combine(units, "appliance-probe.service"), """
            [Unit]
            Description=Appliance image test probe
            [Service]
            ExecStart=/usr/local/sbin/appliance-probe
            [Install]
            WantedBy=multi-user.target

            """);
        File.CreateSymbolicLink(Path.Combine(wants, "appliance-probe.service"), "/etc/systemd/system/appliance-probe.service");
    }
}
