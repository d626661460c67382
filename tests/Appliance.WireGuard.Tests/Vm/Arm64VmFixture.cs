namespace Appliance.WireGuard.Tests.Vm;

/// <summary>
/// The kernel VM on arm64 (issue #15): Debian's arm64 kernel under qemu-system-aarch64 -M virt -cpu max (TCG, emulated
/// on the x86-64 host), with the probe published NativeAOT for linux-arm64 as the agent ships. Slower than x86-64:
/// about 40 s to /init on a loaded machine, so it gets a longer timeout.
/// </summary>
public sealed class Arm64VmFixture() : VmFixture("linux-arm64", TimeSpan.FromMinutes(25));
