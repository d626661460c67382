using System.Diagnostics;
using System.Text.RegularExpressions;
using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// A mesh node on the test host's side of a <see cref="VirtualLan"/>: the agent (built with the tests) joined with a
/// token and running in the LAN's namespace with kernel WireGuard, its endpoint the bridge address. A box on the LAN
/// gets it as a peer, so the two can ping each other's mesh address. The agent is stopped by its pid on dispose.
/// </summary>
public sealed partial class HostPeer : IAsyncDisposable
{
    private readonly VirtualLan _lan;
    private readonly TempDirectory _dir;
    private readonly Process _agent;

    private HostPeer(VirtualLan lan, TempDirectory dir, Process agent, string address)
    {
        _lan = lan;
        _dir = dir;
        _agent = agent;
        Address = address;
    }

    /// <summary>The peer's own mesh address.</summary>
    public string Address { get; }

    /// <summary>What the join and the running agent printed.</summary>
    public string Log => File.Exists(_dir.Combine("agent.log")) ? File.ReadAllText(_dir.Combine("agent.log")) : "";

    public static async Task<HostPeer> JoinAsync(VirtualLan lan, string token, string hostname)
    {
        var dir = new TempDirectory("appliance-hostpeer");
        try
        {
            const string Interface = "aphost0";
            var join = await lan.RunAsync(TimeSpan.FromMinutes(2), "dotnet", Binaries.Agent, "join", "--token", token, "--state-dir", dir.Combine("state"),
                "--hostname", hostname, "--interface", Interface, "--endpoint", VirtualLan.HostAddress);
            await File.WriteAllTextAsync(dir.Combine("agent.log"), join.StdOut + join.StdErr);
            join.EnsureSuccess("appliance-agent join (host peer)");
            // sh execs the agent with its output appended to the log: the pid stays the agent's.
            var agent = lan.Start("sh", "-c", $"exec \"$0\" \"$@\" >>'{dir.Combine("agent.log")}' 2>&1", "dotnet", Binaries.Agent, "run", "--state-dir", dir.Combine("state"),
                "--hosts-file", dir.Combine("hosts"), "--backend", "userspace");
            // The address is on the interface once the agent has applied the mesh.
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < TimeSpan.FromMinutes(2))
            {
                var show = await lan.RunAsync(TimeSpan.FromSeconds(10), "ip", "-4", "-o", "addr", "show", "dev", Interface);
                var m = Ipv4().Match(show.StdOut);
                if (m.Success)
                {
                    return new HostPeer(lan, dir, agent, m.Groups[1].Value);
                }
                if (agent.HasExited)
                {
                    break;
                }
                await Task.Delay(250);
            }
            throw new InvalidOperationException($"the host peer's agent did not put an address on {Interface}:\n{File.ReadAllText(dir.Combine("agent.log"))}");
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>Pings <paramref name="address"/> from the peer's side until one answer comes back.</summary>
    public async Task PingAsync(string address, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if ((await _lan.RunAsync(TimeSpan.FromSeconds(10), "ping", "-n", "-q", "-c", "1", "-W", "2", address)).ExitCode == 0)
            {
                return;
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"the host peer got no answer from {address} within {timeout.TotalSeconds:F0} s");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_agent.HasExited)
        {
            _agent.Kill();
            await _agent.WaitForExitAsync();
        }
        await _lan.RunAsync(TimeSpan.FromSeconds(10), "ip", "link", "delete", "aphost0");
        _dir.Dispose();
    }

    [GeneratedRegex(@"inet (\d+\.\d+\.\d+\.\d+)/")]
    private static partial Regex Ipv4();
}
