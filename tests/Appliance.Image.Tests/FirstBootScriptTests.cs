using System.Text;
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

    private static string Base64Url(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

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

    [Fact]
    public async Task The_server_override_replaces_only_the_tokens_server()
    {
        using var dir = new TempDirectory("appliance-firstboot");
        // A token as the server makes it: base64url JSON without padding (this one's length needs padding to decode).
        var token = Base64Url("{\"server\":\"https://10.0.0.1:8443\",\"key\":\"k3y+/=\",\"fp\":\"ab12\",\"exp\":1767225600}");
        var replaced = (await RunAsync(dir.Path, "token_for \"$1\" \"$2\"", token, "https://mesh.example.org:9443/base")).Trim();
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(Pad(replaced.Replace('-', '+').Replace('_', '/'))));
        Assert.Equal("{\"server\":\"https://mesh.example.org:9443/base\",\"key\":\"k3y+/=\",\"fp\":\"ab12\",\"exp\":1767225600}", json);
        Assert.DoesNotContain("=", replaced, StringComparison.Ordinal);
        // No override: the token is passed on as it is.
        Assert.Equal(token, (await RunAsync(dir.Path, "token_for \"$1\" ''", token)).Trim());
    }

    private static string Pad(string s) => s + new string('=', (4 - (s.Length % 4)) % 4);
}
