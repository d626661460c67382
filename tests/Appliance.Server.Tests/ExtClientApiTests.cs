using System.Net;
using System.Net.Http.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Server.Services;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Server.Tests;

/// <summary>/api/v1/networks/{name}/ext-clients and /api/v1/ext-clients/{id}: keys, addresses, expiry, config, QR, counters.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class ExtClientApiTests
{
    private static async Task<(GatewayScenario S, JoinResponse A, JoinResponse Gw)> SetupAsync(bool? nat = null, TimeProvider? clock = null)
    {
        var s = await GatewayScenario.CreateAsync(clock: clock);
        var a = await s.JoinAsync("a");
        var gw = await s.JoinAsync("gw", "198.51.100.7");
        await s.IngressAsync(gw.NodeId, nat: nat);
        return (s, a, gw);
    }

    [Fact]
    public async Task Server_generated_client_gets_a_pair_addresses_beside_the_nodes_and_a_working_config()
    {
        var (s, a, gw) = await SetupAsync();
        using var _ = s;
        ExtClientDto client;
        using (var r = await s.Admin.PostAsJsonAsync("/api/v1/networks/home/ext-clients", new CreateExtClientRequest { Name = "phone", Gateway = gw.NodeId }))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            client = (await r.Content.ReadFromJsonAsync<ExtClientDto>())!;
            Assert.Equal($"/api/v1/ext-clients/{client.Id}", r.Headers.Location!.OriginalString);
        }
        Assert.StartsWith("ext-", client.Id, StringComparison.Ordinal);
        Assert.Equal(("phone", gw.NodeId, "10.10.0.3", "fd10::3"), (client.Name, client.Gateway, client.Ipv4Address, client.Ipv6Address));
        Assert.True(client.HasServerKey && client.Enabled && client.Active);
        Assert.Null(client.RxBytes);

        // A node joining later does not get the client's address.
        var b = await s.JoinAsync("b");
        Assert.Equal("10.10.0.4/24", b.Ipv4Address);

        using var config = await s.Admin.GetAsync($"/api/v1/ext-clients/{client.Id}/config");
        await Http.EnsureAsync(config);
        Assert.Equal("text/plain", config.Content.Headers.ContentType!.MediaType);
        var disposition = config.Content.Headers.ContentDisposition!;
        Assert.Equal(("attachment", "phone.conf"), (disposition.DispositionType, disposition.FileName));
        var lines = (await config.Content.ReadAsStringAsync()).Split('\n');
        Assert.Contains("Address = 10.10.0.3/32, fd10::3/128", lines);
        Assert.Contains("DNS = 10.10.0.2, home", lines);
        Assert.Contains("MTU = 1420", lines);
        Assert.Contains($"PublicKey = {(await s.Admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{gw.NodeId}"))!.PublicKey}", lines);
        Assert.Contains("Endpoint = 198.51.100.7:51821", lines);
        Assert.Contains("AllowedIPs = 10.10.0.0/24, fd10::/64", lines);
        Assert.Contains("PersistentKeepalive = 20", lines);
        // The private key in the file is the one whose public key the gateway accepts.
        var privateKey = WgKey.Parse(lines.Single(l => l.StartsWith("PrivateKey = ", StringComparison.Ordinal))["PrivateKey = ".Length..]);
        Assert.Equal(client.PublicKey, X25519.PublicKeyOf(privateKey).ToString());
        var peer = (await s.ConfigAsync(gw)).Gateway!.Ingress!.Clients.Single();
        Assert.Equal((client.Id, client.PublicKey, true), (peer.Id, peer.PublicKey, peer.Enabled));
        Assert.Equal(["10.10.0.3/32", "fd10::3/128"], peer.Addresses);
        // NAT mode (the default): the other members never see the client's address.
        Assert.DoesNotContain("10.10.0.3/32", (await s.ConfigAsync(a)).Peers.Single(p => p.NodeId == gw.NodeId).AllowedIps);
        // Every member can resolve it.
        Assert.Contains(new DnsRecordDto("phone", "A", "10.10.0.3"), (await s.ConfigAsync(a)).Dns!.Records);
    }

    [Fact]
    public async Task Client_supplied_key_never_gives_the_server_a_private_key()
    {
        var (s, _, gw) = await SetupAsync();
        using var _s = s;
        var pair = X25519.GenerateKeyPair();
        var client = await s.ExtClientAsync(gw.NodeId, "laptop", pair.PublicKey.ToString());
        Assert.False(client.HasServerKey);
        Assert.Equal(pair.PublicKey.ToString(), client.PublicKey);
        var text = await s.Admin.GetStringAsync($"/api/v1/ext-clients/{client.Id}/config");
        Assert.Contains(WgQuickConfig.PrivateKeyPlaceholder, text, StringComparison.Ordinal);
        Assert.DoesNotContain("\nPrivateKey", text, StringComparison.Ordinal);
        // Without a name the server picks one.
        Assert.Equal("client", (await s.ExtClientAsync(gw.NodeId)).Name);
        Assert.Equal("client-2", (await s.ExtClientAsync(gw.NodeId)).Name);
    }

    [Fact]
    public async Task Bad_client_requests_are_refused_naming_the_field_and_change_nothing()
    {
        var (s, a, gw) = await SetupAsync();
        using var _s = s;
        var existing = await s.ExtClientAsync(gw.NodeId, "phone");
        var aKey = (await s.Admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{a.NodeId}"))!.PublicKey;
        var rows = new (string Row, CreateExtClientRequest Body, int Status, string Field)[]
        {
            ("malformed public key", new() { Gateway = gw.NodeId, PublicKey = "not-a-key" }, 400, "publicKey"),
            ("zero public key", new() { Gateway = gw.NodeId, PublicKey = Convert.ToBase64String(new byte[32]) }, 400, "publicKey"),
            ("a node's public key", new() { Gateway = gw.NodeId, PublicKey = aKey }, 409, "publicKey"),
            ("another client's public key", new() { Gateway = gw.NodeId, PublicKey = existing.PublicKey }, 409, "publicKey"),
            ("name of a node", new() { Gateway = gw.NodeId, Name = "a" }, 409, "name"),
            ("name of a client", new() { Gateway = gw.NodeId, Name = "phone" }, 409, "name"),
            ("name not a label", new() { Gateway = gw.NodeId, Name = "My Phone" }, 400, "name"),
            ("no gateway", new() { Name = "x" }, 400, "gateway"),
            ("unknown gateway", new() { Gateway = "nope" }, 400, "gateway"),
            ("gateway without ingress", new() { Gateway = a.NodeId }, 409, "gateway"),
            ("expiry in the past", new() { Gateway = gw.NodeId, ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) }, 400, "expiresAt"),
        };
        var before = await s.StateAsync();
        foreach (var (row, body, status, field) in rows)
        {
            var p = await s.ProblemAsync(s.Admin.PostAsJsonAsync("/api/v1/networks/home/ext-clients", body), status);
            Assert.True(p.Errors?.ContainsKey(field) == true, $"{row}: {p.Describe()}");
        }
        await s.ProblemAsync(s.Admin.PostAsJsonAsync("/api/v1/networks/nope/ext-clients", new CreateExtClientRequest { Gateway = gw.NodeId }), 404);
        Assert.Equal(before, await s.StateAsync());

        foreach (var (row, body, status, field) in new (string, UpdateExtClientRequest, int, string)[]
        {
            ("rename onto a node", new() { Name = "gw" }, 409, "name"),
            ("bad name", new() { Name = "-x" }, 400, "name"),
            ("expiry in the past", new() { ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) }, 400, "expiresAt"),
            ("clear and set", new() { ExpiresAt = DateTimeOffset.UtcNow.AddDays(1), ClearExpiry = true }, 400, "clearExpiry"),
        })
        {
            var p = await s.ProblemAsync(s.Admin.PatchAsJsonAsync($"/api/v1/ext-clients/{existing.Id}", body), status);
            Assert.True(p.Errors?.ContainsKey(field) == true, $"{row}: {p.Describe()}");
        }
        await s.ProblemAsync(s.Admin.PatchAsJsonAsync("/api/v1/ext-clients/ext-nope", new UpdateExtClientRequest { Enabled = false }), 404);
        Assert.Equal(before, await s.StateAsync());
    }

    [Fact]
    public async Task Disable_enable_rename_and_delete_with_the_address_held()
    {
        var (s, a, gw) = await SetupAsync(nat: false);
        using var _s = s;
        var client = await s.ExtClientAsync(gw.NodeId, "phone");
        Assert.Contains("10.10.0.3/32", (await s.ConfigAsync(a)).Peers.Single(p => p.NodeId == gw.NodeId).AllowedIps);

        using (var r = await s.Admin.PatchAsJsonAsync($"/api/v1/ext-clients/{client.Id}", new UpdateExtClientRequest { Enabled = false, Name = "old-phone" }))
        {
            var dto = await s.OkAsync<ExtClientDto>(r);
            Assert.Equal((false, false, "old-phone"), (dto.Enabled, dto.Active, dto.Name));
        }
        Assert.False((await s.ConfigAsync(gw)).Gateway!.Ingress!.Clients.Single().Enabled);
        Assert.DoesNotContain("10.10.0.3/32", (await s.ConfigAsync(a)).Peers.Single(p => p.NodeId == gw.NodeId).AllowedIps);
        var disabled = await s.ProblemAsync(s.Admin.GetAsync($"/api/v1/ext-clients/{client.Id}/config"), 409);
        Assert.Contains("disabled", disabled.Detail, StringComparison.Ordinal);

        using (var r = await s.Admin.PatchAsJsonAsync($"/api/v1/ext-clients/{client.Id}", new UpdateExtClientRequest { Enabled = true }))
        {
            Assert.True((await s.OkAsync<ExtClientDto>(r)).Active);
        }
        Assert.Contains("10.10.0.3/32", (await s.ConfigAsync(a)).Peers.Single(p => p.NodeId == gw.NodeId).AllowedIps);

        using (var r = await s.Admin.DeleteAsync($"/api/v1/ext-clients/{client.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        await s.ProblemAsync(s.Admin.GetAsync($"/api/v1/ext-clients/{client.Id}"), 404);
        Assert.Equal("10.10.0.4", (await s.ExtClientAsync(gw.NodeId, "tablet")).Ipv4Address); // .3 is held back
    }

    [Fact]
    public async Task An_expired_client_goes_inactive_and_the_server_publishes_it()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (s, a, gw) = await SetupAsync(nat: false, clock);
        using var _s = s;
        var client = await s.ExtClientAsync(gw.NodeId, "guest", expiresAt: clock.GetUtcNow().AddSeconds(2));
        Assert.True(client.Active);
        Assert.Contains("10.10.0.3/32", (await s.ConfigAsync(a)).Peers.Single(p => p.NodeId == gw.NodeId).AllowedIps);
        var version = (await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version;

        // The expiry watcher bumps the version once the expiry passes, so followers get a delta without anyone touching
        // the client. The server's clock moves a second per look: the watcher may set its timer before or after any one step.
        await Wait.UntilAsync(async () =>
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            return (await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version != version;
        }, "the expiry to be published");
        var dto = (await s.Admin.GetFromJsonAsync<ExtClientDto>($"/api/v1/ext-clients/{client.Id}"))!;
        Assert.True(dto.Enabled);
        Assert.False(dto.Active);
        Assert.False((await s.ConfigAsync(gw)).Gateway!.Ingress!.Clients.Single().Enabled);
        Assert.DoesNotContain("10.10.0.3/32", (await s.ConfigAsync(a)).Peers.Single(p => p.NodeId == gw.NodeId).AllowedIps);
        var expired = await s.ProblemAsync(s.Admin.GetAsync($"/api/v1/ext-clients/{client.Id}/config"), 409);
        Assert.Contains("expired", expired.Detail, StringComparison.Ordinal);

        // Extending it brings it back.
        using (var r = await s.Admin.PatchAsJsonAsync($"/api/v1/ext-clients/{client.Id}", new UpdateExtClientRequest { ClearExpiry = true }))
        {
            Assert.True((await s.OkAsync<ExtClientDto>(r)).Active);
        }
        using var config = await s.Admin.GetAsync($"/api/v1/ext-clients/{client.Id}/config");
        await Http.EnsureAsync(config);
    }

    [Fact]
    public async Task Config_of_a_client_whose_gateway_has_no_endpoint_is_a_conflict()
    {
        using var s = await GatewayScenario.CreateAsync();
        using var r = await s.Server.JoinRawAsync(s.Key, "gw", endpoints: []);
        var gw = await s.OkAsync<JoinResponse>(r);
        await s.IngressAsync(gw.NodeId);
        var client = await s.ExtClientAsync(gw.NodeId, "phone");
        var p = await s.ProblemAsync(s.Admin.GetAsync($"/api/v1/ext-clients/{client.Id}/config"), 409);
        Assert.Contains("no endpoint", p.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Qr_code_carries_the_config_as_png_or_svg()
    {
        var (s, _, gw) = await SetupAsync();
        using var _s = s;
        var client = await s.ExtClientAsync(gw.NodeId, "phone");
        var text = await s.Admin.GetStringAsync($"/api/v1/ext-clients/{client.Id}/config");

        using var png = await s.Admin.GetAsync($"/api/v1/ext-clients/{client.Id}/qr");
        await Http.EnsureAsync(png);
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        var bytes = await png.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a }, bytes[..8]);
        // IHDR: width = height = (modules + 2 * quiet zone) * pixels per module, for the version this text needs.
        using var data = QRCoder.QRCodeGenerator.GenerateQrCode(text, QRCoder.QRCodeGenerator.ECCLevel.L);
        var side = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4));
        Assert.Equal(data.ModuleMatrix.Count * QrCode.PixelsPerModule, side);
        // The rendering is deterministic: the same bytes come from encoding exactly the config text.
        Assert.Equal(QrCode.Png(text), bytes);
        Assert.NotEqual(QrCode.Png(text + " "), bytes);

        using var svg = await s.Admin.GetAsync($"/api/v1/ext-clients/{client.Id}/qr?format=svg");
        await Http.EnsureAsync(svg);
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType!.MediaType);
        var xml = System.Xml.Linq.XDocument.Parse(await svg.Content.ReadAsStringAsync());
        Assert.Equal("svg", xml.Root!.Name.LocalName);
        Assert.Equal(QrCode.Svg(text), await svg.Content.ReadAsStringAsync());

        var bad = await s.ProblemAsync(s.Admin.GetAsync($"/api/v1/ext-clients/{client.Id}/qr?format=gif"), 400);
        Assert.True(bad.Errors!.ContainsKey("format"));
    }

    [Fact]
    public async Task Gateway_reports_update_counters_of_its_own_clients_only()
    {
        using var s = await GatewayScenario.CreateAsync();
        var gw1 = await s.JoinAsync("gw1");
        var gw2 = await s.JoinAsync("gw2");
        await s.IngressAsync(gw1.NodeId);
        await s.IngressAsync(gw2.NodeId);
        var mine = await s.ExtClientAsync(gw1.NodeId, "mine");
        var theirs = await s.ExtClientAsync(gw2.NodeId, "theirs");
        var version = (await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version;
        var handshake = new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var nodes = s.Server.Services.GetRequiredService<NodeService>();
        await nodes.ReportAsync(gw1.NodeId, new NodeReport
        {
            ListenPort = 51821,
            Endpoints = ["192.0.2.10"],
            ExtClients = [new(mine.Id, 1234, 5678, handshake), new(theirs.Id, 9, 9, handshake), new("ext-unknown", 1, 1, null)],
        }, CancellationToken.None);
        var got = (await s.Admin.GetFromJsonAsync<ExtClientDto>($"/api/v1/ext-clients/{mine.Id}"))!;
        Assert.Equal((1234L, 5678L, handshake), (got.RxBytes, got.TxBytes, got.LastHandshake));
        var other = (await s.Admin.GetFromJsonAsync<ExtClientDto>($"/api/v1/ext-clients/{theirs.Id}"))!;
        Assert.Null(other.RxBytes); // gw1 cannot speak for gw2's client
        // Counters are no mesh state: no version bump.
        Assert.Equal(version, (await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version);
    }
}
