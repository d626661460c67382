namespace Appliance.Agent.Tests.Vm;

/// <summary>
/// One reading of an agent's /proc/PID/status in the VM (kB, as the kernel prints them). The binary's pages count as
/// RssShmem there: the guest's root is the initramfs (tmpfs), not a disk.
/// </summary>
public sealed record RssSample(string Agent, int Seconds, long VmRssKb, long RssAnonKb, long RssFileKb, long RssShmemKb);
