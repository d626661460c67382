using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Appliance.Broker;
using Appliance.Mqtt.Packets;

namespace Appliance.Bench.Mqtt;

/// <summary>
/// `host-tls &lt;port&gt; &lt;ca.pem path&gt;`: our broker with a TLS listener alone in this process, answering commands on stdin
/// with one JSON line of its own memory figures (used by <see cref="TlsMemoryScenario"/>).
/// Commands: `stats`, `gc` (full blocking compacting collection, then stats), `publish N COUNT BYTES` (COUNT QoS 1
/// messages of BYTES to each of the topics m/0 .. m/N-1, like a snapshot in parts to every member).
/// </summary>
internal static class TlsHostMode
{
    public static async Task<int> RunAsync(int port, string caPath)
    {
        NativeLimits.RaiseOpenFiles();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(caPath, created.ExportCertificatePem());
        using var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        var options = new MqttBrokerOptions
        {
            MaxConnections = 19_000,
            MaxNewConnectionsPerSecond = 1_000_000,
            MaxNewConnectionsPerSecondPerAddress = 1_000_000,
            MaxPendingWritesPerClient = 100_000,
            ReleaseTlsBuffersWhenIdle = Environment.GetEnvironmentVariable("BENCH_RELEASE_TLS_BUFFERS") != "0",
        };
        options.Listeners.Add(new MqttBrokerListenerOptions(new IPEndPoint(IPAddress.Loopback, port), certificate));
        await using var broker = new MqttBroker(options, new AllowAllAuthenticator());
        await broker.StartAsync(CancellationToken.None);
        Console.WriteLine("READY");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (words.FirstOrDefault())
            {
                case "gc":
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    GC.WaitForPendingFinalizers();
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    Console.WriteLine(Stats());
                    break;
                case "gc-aggressive":
                    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    Console.WriteLine(Stats());
                    break;
                case "track":
                    CryptoNative_EnableMemoryTracking(1);
                    Console.WriteLine(Stats());
                    break;
                case "tracked":
                    Console.WriteLine(TrackedOpenSslAllocations());
                    break;
                case "publish":
                    var n = int.Parse(words[1], CultureInfo.InvariantCulture);
                    var count = int.Parse(words[2], CultureInfo.InvariantCulture);
                    var bytes = int.Parse(words[3], CultureInfo.InvariantCulture);
                    var payload = new byte[bytes];
                    for (var i = 0; i < n; i++)
                    {
                        for (var k = 0; k < count; k++)
                        {
                            broker.Publish("m/" + i.ToString(CultureInfo.InvariantCulture), payload, MqttQos.AtLeastOnce);
                        }
                    }
                    Console.WriteLine("OK");
                    break;
                default:
                    Console.WriteLine(Stats());
                    break;
            }
        }
        await broker.StopAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>RSS and anonymous memory from /proc, the GC's view, and OpenSSL's own count when its memory debug is on.</summary>
    private static string Stats()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        long anonKb = 0, rssKb = 0;
        foreach (var l in File.ReadLines("/proc/self/smaps_rollup"))
        {
            if (l.StartsWith("Anonymous:", StringComparison.Ordinal))
            {
                anonKb = long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
            else if (l.StartsWith("Rss:", StringComparison.Ordinal))
            {
                rssKb = long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        var gens = info.GenerationInfo;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"\"rss_mb\":{rssKb / 1024.0:F1},\"anon_mb\":{anonKb / 1024.0:F1},");
        sb.Append(CultureInfo.InvariantCulture, $"\"gc_heap_mb\":{info.HeapSizeBytes / 1048576.0:F1},\"gc_committed_mb\":{info.TotalCommittedBytes / 1048576.0:F1},\"gc_fragmented_mb\":{info.FragmentedBytes / 1048576.0:F1},");
        sb.Append(CultureInfo.InvariantCulture, $"\"gen0_mb\":{gens[0].SizeAfterBytes / 1048576.0:F1},\"gen1_mb\":{gens[1].SizeAfterBytes / 1048576.0:F1},\"gen2_mb\":{gens[2].SizeAfterBytes / 1048576.0:F1},\"loh_mb\":{gens[3].SizeAfterBytes / 1048576.0:F1},\"poh_mb\":{gens[4].SizeAfterBytes / 1048576.0:F1},");
        sb.Append(CultureInfo.InvariantCulture, $"\"openssl_mb\":{OpenSslAllocatedBytes() / 1048576.0:F1},\"gc_count\":{GC.CollectionCount(0)},\"cpu_s\":{ProcStat.CpuSeconds(Environment.ProcessId):F2}");
        return "{" + sb + "}";
    }

    /// <summary>Bytes OpenSSL holds, counted by the runtime's OpenSSL shim when DOTNET_OPENSSL_MEMORY_DEBUG=1 is set at start; -1 otherwise.</summary>
    private static long OpenSslAllocatedBytes()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_OPENSSL_MEMORY_DEBUG") != "1")
        {
            return -1;
        }
        CryptoNative_GetMemoryUse(out var total, out _);
        return (long)total;
    }

    /// <summary>OpenSSL allocations made since `track` and still live, summed by source file and line, largest first.</summary>
    private static unsafe string TrackedOpenSslAllocations()
    {
        s_tracked.Clear();
        CryptoNative_ForEachTrackedAllocation(&OnTrackedAllocation, 0);
        var top = s_tracked.OrderByDescending(kv => kv.Value.Bytes).Take(12)
            .Select(kv => string.Create(CultureInfo.InvariantCulture, $"\"{kv.Key}\":[{kv.Value.Count},{kv.Value.Bytes}]"));
        return "{\"openssl_live_since_track\":{" + string.Join(',', top) + "}}";
    }

    private static readonly Dictionary<string, (long Count, long Bytes)> s_tracked = [];

    [UnmanagedCallersOnly]
    private static unsafe void OnTrackedAllocation(nint ptr, ulong size, byte* file, int line, nint context)
    {
        var key = (file == null ? "?" : Path.GetFileName(Marshal.PtrToStringUTF8((nint)file) ?? "?")) + ":" + line.ToString(CultureInfo.InvariantCulture);
        s_tracked.TryGetValue(key, out var v);
        s_tracked[key] = (v.Count + 1, v.Bytes + (long)size);
    }

    [DllImport("libSystem.Security.Cryptography.Native.OpenSsl")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern void CryptoNative_EnableMemoryTracking(int enable);

    [DllImport("libSystem.Security.Cryptography.Native.OpenSsl")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern unsafe void CryptoNative_ForEachTrackedAllocation(delegate* unmanaged<nint, ulong, byte*, int, nint, void> callback, nint context);

    [DllImport("libSystem.Security.Cryptography.Native.OpenSsl")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int CryptoNative_GetMemoryUse(out ulong totalUsed, out ulong allocationCount);

    private sealed class AllowAllAuthenticator : IMqttAuthenticator
    {
        public ValueTask<MqttAuthResult> AuthenticateAsync(string clientId, string? userName, string? password, CancellationToken cancellationToken)
            => ValueTask.FromResult(MqttAuthResult.Allow(new MqttPrincipal(clientId, MqttTopicAcl.AllowAll)));
    }
}
