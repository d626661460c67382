using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;

namespace Appliance.Bench.Mqtt;

/// <summary>
/// `tls-memory N [COUNT BYTES] [KEY=VALUE ...]`: N TLS clients (the real MQTT client) on our broker in its own process,
/// which reports its memory (RSS, anonymous, GC heap by generation, OpenSSL) idle, after all connect, and after
/// COUNT QoS 1 messages of BYTES went to each client (default 17 x 72 KB, a 5000-node snapshot in parts).
/// KEY=VALUE pairs go to the broker's environment (DOTNET_GCGen0MaxBudget=..., DOTNET_gcConcurrent=0, ...);
/// DOTNET_OPENSSL_MEMORY_DEBUG=1 adds OpenSSL's own count and the allocations traffic left behind, by source line;
/// BENCH_TRACK=connect also lists those the connections left; BENCH_RELEASE_TLS_BUFFERS=0 turns the broker's
/// SSL_MODE_RELEASE_BUFFERS off, for comparison.
/// </summary>
internal static class TlsMemoryScenario
{
    public static async Task<int> RunAsync(string[] args)
    {
        NativeLimits.RaiseOpenFiles();
        var numbers = args.Where(a => !a.Contains('=', StringComparison.Ordinal)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        var n = numbers.ElementAtOrDefault(0) is > 0 and var v ? v : 1000;
        var count = numbers.Length > 1 ? numbers[1] : 17;
        var bytes = numbers.Length > 2 ? numbers[2] : 72 * 1024;
        var env = args.Where(a => a.Contains('=', StringComparison.Ordinal)).ToArray();
        var port = FreePort();
        var caPath = Path.Combine(Path.GetTempPath(), $"bench-tls-{Environment.ProcessId}.pem");
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(typeof(TlsMemoryScenario).Assembly.Location);
        psi.ArgumentList.Add("host-tls");
        psi.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(caPath);
        foreach (var kv in env)
        {
            psi.Environment[kv[..kv.IndexOf('=', StringComparison.Ordinal)]] = kv[(kv.IndexOf('=', StringComparison.Ordinal) + 1)..];
        }
        using var host = Process.Start(psi)!;
        var clients = new MqttClient[n];
        try
        {
            if (await host.StandardOutput.ReadLineAsync() != "READY")
            {
                throw new InvalidOperationException("TLS broker host did not start");
            }
            using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(caPath));
            var tag = string.Join(' ', env);
            async Task Emit(string stage, string command = "stats")
            {
                await host.StandardInput.WriteLineAsync(command);
                var stats = await host.StandardOutput.ReadLineAsync();
                Console.WriteLine($"{{\"figure\":\"tls-memory\",\"n\":{n},\"env\":\"{tag}\",\"stage\":\"{stage}\",{stats![1..]}");
            }
            await Task.Delay(1000);
            await Emit("idle");
            var trackConnections = env.Contains("BENCH_TRACK=connect");
            if (trackConnections)
            {
                await Emit("tracking-connections", "track");
            }
            long received = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
            {
                var c = new MqttClient(new MqttClientOptions
                {
                    Port = port, ClientId = "c" + i.ToString(CultureInfo.InvariantCulture), KeepAliveSeconds = 0, AutoReconnect = false,
                    Tls = new MqttTlsOptions { TargetHost = "127.0.0.1", TrustedRoots = [ca] },
                });
                clients[i] = c;
                await c.ConnectAsync(ct);
                await c.SubscribeAsync("m/" + i.ToString(CultureInfo.InvariantCulture), MqttQos.AtLeastOnce, ct);
                _ = Task.Run(async () =>
                {
                    await foreach (var m in c.Messages.ReadAllAsync())
                    {
                        Interlocked.Add(ref received, m.Payload.Length);
                    }
                });
            });
            await Task.Delay(3000);
            await Emit("connected");
            await Emit("connected-after-gc", "gc");
            if (trackConnections)
            {
                await host.StandardInput.WriteLineAsync("tracked");
                Console.WriteLine(await host.StandardOutput.ReadLineAsync());
            }
            if (env.Contains("DOTNET_OPENSSL_MEMORY_DEBUG=1"))
            {
                await Emit("tracking-traffic", "track");
            }
            var watch = Stopwatch.StartNew();
            await host.StandardInput.WriteLineAsync($"publish {n} {count} {bytes}");
            await host.StandardOutput.ReadLineAsync();
            var expected = (long)n * count * bytes;
            while (Interlocked.Read(ref received) < expected && watch.Elapsed < TimeSpan.FromMinutes(5))
            {
                await Task.Delay(100);
            }
            Console.Error.WriteLine($"delivered {Interlocked.Read(ref received) / 1048576.0:F0} MB of {expected / 1048576.0:F0} MB in {watch.Elapsed.TotalSeconds:F1} s");
            await Emit("after-traffic");
            await Task.Delay(5000);
            await Emit("after-traffic-5s");
            await Emit("after-traffic-gc", "gc");
            await Emit("after-traffic-gc-aggressive", "gc-aggressive");
            if (env.Contains("DOTNET_OPENSSL_MEMORY_DEBUG=1"))
            {
                await host.StandardInput.WriteLineAsync("tracked");
                Console.WriteLine(await host.StandardOutput.ReadLineAsync());
            }
            return 0;
        }
        finally
        {
            foreach (var c in clients)
            {
                if (c is not null)
                {
                    await c.DisposeAsync();
                }
            }
            host.StandardInput.Close();
            if (!host.WaitForExit(10_000))
            {
                host.Kill();
            }
            File.Delete(caPath);
        }
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
