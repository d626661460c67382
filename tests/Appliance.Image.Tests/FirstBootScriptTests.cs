using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// The pure parts of image/rootfs/usr/lib/appliance/appliance-firstboot, loaded with
/// APPLIANCE_FIRSTBOOT_FUNCTIONS_ONLY=1 and run by the same shell as on the box (dash as /bin/sh).
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class FirstBootScriptTests
{
    private static readonly string Script = RepoPaths.Combine("image", "rootfs", "usr", "lib", "appliance", "appliance-firstboot");

    private static async Task<string> RunAsync(string dir, string body, params string[] args)
    {
        var r = await ProcessRunner.RunAsync("sh", ["-c", $". '{Script}'; DIR='{dir}'; {body}", "sh", .. args],
            env: new Dictionary<string, string> { ["APPLIANCE_FIRSTBOOT_FUNCTIONS_ONLY"] = "1" }, timeout: TimeSpan.FromSeconds(30));
        return r.EnsureSuccess("firstboot functions").StdOut;
    }

    [Theory]
    [InlineData("flat, one key a line", "{\n  \"server\": \"https://s.example:8443\",\n  \"hostname\": \"box-1\",\n  \"firewall\": \"nftables\"\n}\n", "https://s.example:8443|box-1|nftables")]
    [InlineData("one line, CRLF, no spaces", "{\"server\":\"\",\"hostname\":\"gw\",\"firewall\":\"auto\"}\r\n", "|gw|auto")]
    [InlineData("keys missing", "{ \"hostname\": \"only\" }", "|only|")]
    [InlineData("not JSON at all", "garbage", "||")]
    public async Task Config_values_come_from_the_boot_partition(string row, string json, string expected)
    {
        using var dir = new TempDirectory("appliance-firstboot");
        await File.WriteAllTextAsync(dir.Combine("config.json"), json);
        var got = (await RunAsync(dir.Path, "printf '%s|%s|%s' \"$(config server)\" \"$(config hostname)\" \"$(config firewall)\"")).Trim();
        Assert.True(expected == got, $"{row}: expected {expected}, got {got}");
    }

    [Fact]
    public async Task A_missing_config_file_gives_empty_values()
    {
        using var dir = new TempDirectory("appliance-firstboot");
        Assert.Equal("[]", (await RunAsync(dir.Path, "printf '[%s]' \"$(config server)\"")).Trim());
    }

    [Theory]
    [InlineData("{\"server\": \"https://mesh.example.org:9443/base\"}", "join --token T0K3N --server https://mesh.example.org:9443/base --hostname box-7 --state-dir /st")]
    [InlineData("{\"server\": \"\", \"hostname\": \"x\"}", "join --token T0K3N --hostname box-7 --state-dir /st")]
    [InlineData(null, "join --token T0K3N --hostname box-7 --state-dir /st")]
    public async Task The_config_server_override_goes_to_join_as_its_server_option(string? configJson, string expectedArgs)
    {
        using var dir = new TempDirectory("appliance-firstboot");
        if (configJson is not null)
        {
            await File.WriteAllTextAsync(dir.Combine("config.json"), configJson);
        }
        // A stand-in agent that prints the arguments it was given, one line.
        var agent = dir.Combine("agent");
        await File.WriteAllTextAsync(agent, "#!/bin/sh\necho \"$*\"\n");
        File.SetUnixFileMode(agent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var got = (await RunAsync(dir.Path, $"AGENT='{agent}'; HOSTNAME_=box-7; STATE=/st; join_once T0K3N")).Trim();
        Assert.Equal(expectedArgs, got);
    }

    [Fact]
    public async Task The_led_is_set_through_the_agent_once_per_change()
    {
        using var dir = new TempDirectory("appliance-firstboot");
        // A stand-in agent that appends the arguments it was given to a file.
        var agent = dir.Combine("agent");
        await File.WriteAllTextAsync(agent, $"#!/bin/sh\necho \"$*\" >> '{dir.Combine("calls")}'\n");
        File.SetUnixFileMode(agent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var output = await RunAsync(dir.Path, $"AGENT='{agent}'; led booting; led booting; led waiting-for-token; led waiting-for-token; led enrolling; led error; led enrolling");
        Assert.Equal(["led booting", "led waiting-for-token", "led enrolling", "led error", "led enrolling"], await File.ReadAllLinesAsync(dir.Combine("calls")));
        Assert.Equal("", output.Trim());
    }

    [Fact]
    public async Task A_failing_led_is_a_line_and_the_first_boot_goes_on()
    {
        using var dir = new TempDirectory("appliance-firstboot");
        var agent = dir.Combine("agent");
        await File.WriteAllTextAsync(agent, "#!/bin/sh\necho 'error: no LED /sys/class/leds/status (ls /sys/class/leds)' >&2\nexit 1\n");
        File.SetUnixFileMode(agent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var output = await RunAsync(dir.Path, $"AGENT='{agent}'; led enrolling; out=kept; led error; echo \"after $out\"");
        Assert.Equal(
            "appliance-firstboot: status LED: error: no LED /sys/class/leds/status (ls /sys/class/leds)\n" +
            "appliance-firstboot: status LED: error: no LED /sys/class/leds/status (ls /sys/class/leds)\n" +
            "after kept",
            output.Trim());
    }
}
