using Appliance.Gateway.Commands;
using Appliance.Gateway.Sysctl;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>The real process runner (prefix, stdin, timeout) and the sysctl implementations, without root.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class CommandAndSysctlTests
{
    [Fact]
    public void Prefix_goes_before_the_program() =>
        Assert.Equal(["ip", "netns", "exec", "gw", "nft", "-f", "-"], ProcessCommandRunner.BuildArgv(["ip", "netns", "exec", "gw"], "nft", ["-f", "-"]));

    [Fact]
    public async Task Runs_with_stdin_and_prefix_and_reports_exit_code()
    {
        var runner = new ProcessCommandRunner(["env", "GW_TEST=1"]);
        var r = await runner.RunAsync("sh", ["-c", "cat; echo \"$GW_TEST\" >&2; exit 3"], "hello\n");
        Assert.Equal(new CommandResult(3, "hello\n", "1\n"), r);
    }

    [Fact]
    public async Task Program_that_ignores_stdin_still_reports_its_error()
    {
        var r = await new ProcessCommandRunner().RunAsync("sh", ["-c", "echo bad >&2; exit 1"], new string('x', 1 << 20));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("bad\n", r.StdErr);
    }

    [Fact]
    public async Task Missing_program_is_a_firewall_command_error() =>
        Assert.Contains("could not start no-such-firewall-tool",
            (await Assert.ThrowsAsync<FirewallCommandException>(() => new ProcessCommandRunner().RunAsync("no-such-firewall-tool", []))).Message, StringComparison.Ordinal);

    [Fact]
    public async Task Hung_command_times_out() =>
        await Assert.ThrowsAsync<TimeoutException>(() => new ProcessCommandRunner(timeout: TimeSpan.FromMilliseconds(300)).RunAsync("sleep", ["10"]));

    [Fact]
    public async Task Proc_sysctl_reads_and_writes_files_under_its_root()
    {
        using var dir = new TempDirectory("apgw-sysctl");
        Directory.CreateDirectory(dir.Combine("net", "ipv4"));
        File.WriteAllText(dir.Combine("net", "ipv4", "ip_forward"), "0\n");
        var sysctl = new ProcSysctl(dir.Path);
        Assert.Equal("0", await sysctl.ReadAsync(ForwardingSysctl.Ipv4Key));
        await sysctl.WriteAsync(ForwardingSysctl.Ipv4Key, "1");
        Assert.Equal("1\n", File.ReadAllText(dir.Combine("net", "ipv4", "ip_forward")));
        Assert.Throws<ArgumentException>(() => sysctl.PathOf("net/../../etc/passwd"));
    }

    [Fact]
    public async Task Command_sysctl_uses_sysctl_n_and_w()
    {
        var runner = new FakeCommandRunner((_, a, _) => FakeCommandRunner.Ok(a[0] == "-n" ? "1\n" : ""));
        var sysctl = new CommandSysctl(runner);
        Assert.Equal("1", await sysctl.ReadAsync(ForwardingSysctl.Ipv6Key));
        await sysctl.WriteAsync(ForwardingSysctl.Ipv6Key, "0");
        Assert.Equal(["sysctl -n net.ipv6.conf.all.forwarding", "sysctl -q -w net.ipv6.conf.all.forwarding=0"], runner.Lines);
    }

    [Fact]
    public void State_file_round_trips() =>
        Assert.Equal(
            new Dictionary<string, string> { ["net.ipv4.ip_forward"] = "0", ["net.ipv6.conf.all.forwarding"] = "1" },
            ForwardingSysctl.ParseState(ForwardingSysctl.RenderState(new Dictionary<string, string> { ["net.ipv6.conf.all.forwarding"] = "1", ["net.ipv4.ip_forward"] = "0" })));
}
