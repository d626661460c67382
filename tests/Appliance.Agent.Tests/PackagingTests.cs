using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

public sealed class PackagingTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Systemd_unit_runs_the_daemon_in_the_foreground_and_restarts_it()
    {
        var unit = File.ReadAllLines(RepoPaths.Combine("agent-lite", "packaging", "appliance-agent.service"));
        string Value(string key) => unit.Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];
        // sd_notify READY=1 and WATCHDOG=1 pings while healthy (issue #17).
        Assert.Equal("notify", Value("Type"));
        Assert.Equal("30s", Value("WatchdogSec"));
        Assert.Equal("main", Value("NotifyAccess"));
        Assert.Equal("/usr/bin/appliance-agent run --state-dir /var/lib/appliance --wait-for-join", Value("ExecStart"));
        Assert.Equal("always", Value("Restart"));
        Assert.Contains("[Install]", unit);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Systemd_unit_lets_the_gateway_dns_bind_port_53()
    {
        var unit = File.ReadAllLines(RepoPaths.Combine("agent-lite", "packaging", "appliance-agent.service"));
        string[] Caps(string key) => unit.Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..].Split(' ');
        foreach (var key in new[] { "AmbientCapabilities", "CapabilityBoundingSet" })
        {
            Assert.Contains("CAP_NET_BIND_SERVICE", Caps(key));
            Assert.Contains("CAP_NET_ADMIN", Caps(key));
        }
        // procd starts it as root with every capability unless the script narrows them: it must not, or port 53 fails.
        Assert.DoesNotContain(File.ReadAllLines(RepoPaths.Combine("agent-lite", "packaging", "appliance-agent.init")),
            l => l.Trim().StartsWith("procd_set_param capabilities", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void The_low_memory_runtime_settings_come_with_the_binary_not_the_service_files()
    {
        // Measured in docs/BENCHMARKS.md ("Agent memory"); in the runtimeconfig, a hand-started agent has them too.
        var config = RuntimeConfig.Properties("appliance-agent");
        Assert.Equal("67108864", config["System.GC.HeapHardLimit"]);
        Assert.Equal("2097152", config["System.GC.Gen0MaxBudget"]);
        Assert.Equal("false", config["System.Runtime.TieredCompilation"]);
        Assert.Equal("false", config["System.GC.Concurrent"]);
        Assert.Equal("false", config["System.GC.Server"]);
        // The JIT build (`dotnet run`, the trimmed publish) without the W^X double mapping of its code, as the server.
        Assert.Equal("false", config["System.Runtime.EnableWriteXorExecute"]);
        // One place only: the service files do not override them.
        Assert.DoesNotContain("DOTNET_", File.ReadAllText(RepoPaths.Combine("agent-lite", "packaging", "appliance-agent.service")), StringComparison.Ordinal);
        Assert.DoesNotContain("DOTNET_", File.ReadAllText(RepoPaths.Combine("agent-lite", "packaging", "appliance-agent.init")), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Procd_script_is_valid_shell_and_starts_the_daemon()
    {
        var path = RepoPaths.Combine("agent-lite", "packaging", "appliance-agent.init");
        var syntax = await ProcessRunner.RunAsync(Prerequisites.RequireProgram("sh"), ["-n", path]);
        Assert.True(syntax.ExitCode == 0, syntax.StdErr);
        var text = await File.ReadAllTextAsync(path);
        Assert.Contains("USE_PROCD=1", text, StringComparison.Ordinal);
        Assert.Contains("procd_set_param command \"$PROG\" run --state-dir \"$STATE_DIR\"", text, StringComparison.Ordinal);
        Assert.Contains("procd_set_param respawn", text, StringComparison.Ordinal);
    }
}
