using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>The ext-client config the API serves is a file wg-quick itself accepts.</summary>
[Trait("Category", TestCategories.Interop)]
public sealed class WgQuickInteropTests
{
    [Fact]
    public async Task Wg_quick_strip_accepts_the_served_config_and_keeps_the_wg_part()
    {
        var wgQuick = Prerequisites.RequireProgram("wg-quick");
        var wg = Prerequisites.RequireProgram("wg");
        using var s = await GatewayScenario.CreateAsync();
        var gw = await s.JoinAsync("gw", "198.51.100.7:51999");
        await s.IngressAsync(gw.NodeId);
        await s.EgressAsync(gw.NodeId, "192.168.1.0/24", "0.0.0.0/0");
        var client = await s.ExtClientAsync(gw.NodeId, "phone");
        var text = await s.Admin.GetStringAsync($"/api/v1/ext-clients/{client.Id}/config");

        using var dir = new TempDirectory("wgquick");
        // wg-quick derives the interface name from the file name (at most 15 characters).
        var path = Path.Combine(dir.Path, "phone.conf");
        await File.WriteAllTextAsync(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var stripped = (await ProcessRunner.RunAsync(wgQuick, "strip", path)).EnsureSuccess("wg-quick strip").StdOut;
        var keys = stripped.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)].Trim())
            .ToList();
        Assert.Equal(["PrivateKey", "PublicKey", "Endpoint", "AllowedIPs", "PersistentKeepalive"], keys);
        Assert.Contains("Endpoint = 198.51.100.7:51999", stripped, StringComparison.Ordinal);
        Assert.Contains("AllowedIPs = 10.10.0.0/24, fd10::/64, 192.168.1.0/24, 0.0.0.0/0", stripped, StringComparison.Ordinal);
        // The private key is one wg itself reads, and it belongs to the public key the gateway was given.
        var privateKey = stripped.Split('\n').Single(l => l.StartsWith("PrivateKey", StringComparison.Ordinal)).Split('=', 2)[1].Trim();
        var publicKey = (await ProcessRunner.RunAsync(wg, ["pubkey"], stdin: privateKey + "\n")).EnsureSuccess("wg pubkey").StdOut.Trim();
        Assert.Equal(client.PublicKey, publicKey);
    }
}
