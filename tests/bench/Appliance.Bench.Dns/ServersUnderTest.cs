using Appliance.TestSupport;

namespace Appliance.Bench.Dns;

/// <summary>The two servers under test as TestSupport <see cref="DnsProcess"/>es, on the server CPU when pinned.</summary>
internal static class ServersUnderTest
{
    public static Task<DnsProcess> StartOursAsync(int port, string hosts, params string[] extra)
    {
        // BENCH_DNS_UDP_BATCH=N runs ours with --udp-batch N (1 = one recvfrom/sendto per query, to see what batching brings).
        string[] batch = Environment.GetEnvironmentVariable("BENCH_DNS_UDP_BATCH") is { Length: > 0 } b ? ["--udp-batch", b] : [];
        return DnsProcess.OursAsync(port, ["--listen", $"127.0.0.1:{port}", "--hosts", hosts, .. batch, .. extra], Pinning.ServerCpuOrNull);
    }

    public static Task<DnsProcess> StartDnsmasqAsync(string dir, int port, string hosts, params string[] extra) =>
        DnsProcess.DnsmasqAsync(dir, port, hosts, extra, Pinning.ServerCpuOrNull);
}
