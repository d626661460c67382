using System.Diagnostics;
using System.Globalization;
using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// A LAN for the boxes under test: a network namespace of its own with a bridge (the server's address,
/// <see cref="HostAddress"/>), one tap device per box and dnsmasq handing out DHCP leases. Everything it made is
/// removed on dispose (dnsmasq stopped by its pid, the namespace deleted with its devices), even after a failure.
/// </summary>
public sealed class VirtualLan : IAsyncDisposable
{
    public const string HostAddress = "10.77.0.1";
    private readonly List<Process> _processes = [];
    private readonly TempDirectory _dir = new("appliance-lan");
    private int _taps;

    private VirtualLan(string name) => Namespace = name;

    /// <summary>The namespace's name; run a program on the LAN with <c>ip netns exec</c>.</summary>
    public string Namespace { get; }

    public static async Task<VirtualLan> CreateAsync()
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireProgram("ip");
        Prerequisites.RequireProgram("dnsmasq");
        var lan = new VirtualLan($"apimg-{Environment.ProcessId}-{Random.Shared.Next(1000, 9999)}");
        try
        {
            await lan.IpAsync("netns", "add", lan.Namespace);
            await lan.IpAsync("-n", lan.Namespace, "link", "set", "lo", "up");
            await lan.IpAsync("-n", lan.Namespace, "link", "add", "br0", "type", "bridge");
            await lan.IpAsync("-n", lan.Namespace, "addr", "add", HostAddress + "/24", "dev", "br0");
            await lan.IpAsync("-n", lan.Namespace, "link", "set", "br0", "up");
            // Leases only (port 0: no DNS); the router option defaults to the bridge address.
            lan.Start("dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", "--interface=br0", "--bind-interfaces",
                "--dhcp-range=10.77.0.100,10.77.0.200,255.255.255.0,1h", $"--dhcp-leasefile={lan._dir.Combine("leases")}",
                "--dhcp-authoritative", "--log-facility=-");
        }
        catch
        {
            await lan.DisposeAsync();
            throw;
        }
        return lan;
    }

    /// <summary>A new tap device on the bridge, for one qemu NIC (qemu attaches to it by name).</summary>
    public async Task<string> AddTapAsync()
    {
        var tap = "tap" + Interlocked.Increment(ref _taps).ToString(CultureInfo.InvariantCulture);
        await IpAsync("-n", Namespace, "tuntap", "add", "dev", tap, "mode", "tap");
        await IpAsync("-n", Namespace, "link", "set", tap, "master", "br0", "up");
        return tap;
    }

    /// <summary>Starts a program inside the namespace; it is stopped (by pid) when the LAN is disposed.</summary>
    public Process Start(string program, params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", Namespace, program }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }
        // `ip netns exec` execs the program, so this pid is the program's own.
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + program);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        lock (_processes)
        {
            _processes.Add(p);
        }
        return p;
    }

    /// <summary>Runs a program inside the namespace to completion.</summary>
    public Task<ProcessResult> RunAsync(TimeSpan timeout, string program, params string[] args) =>
        ProcessRunner.RunAsync("ip", ["netns", "exec", Namespace, program, .. args], timeout: timeout);

    private async Task IpAsync(params string[] args) =>
        (await ProcessRunner.RunAsync("ip", args, timeout: TimeSpan.FromSeconds(30))).EnsureSuccess("ip " + string.Join(' ', args));

    public async ValueTask DisposeAsync()
    {
        Process[] started;
        lock (_processes)
        {
            started = [.. _processes];
        }
        foreach (var p in started)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill();
                    await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                }
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
            }
            p.Dispose();
        }
        await ProcessRunner.RunAsync("ip", ["netns", "delete", Namespace], timeout: TimeSpan.FromSeconds(30));
        _dir.Dispose();
    }
}
