using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Spectre.Console;

namespace Appliance.Server.Cli;

/// <summary>`appliance-server network|key|node|ext-client|dns ...`: the admin CLI, a client of the REST API.</summary>
public static class AdminCommands
{
    private static readonly Option<string?> Server = new("--server") { Description = "server URL (default APPLIANCE_SERVER or https://127.0.0.1:8443)", Recursive = true };
    private static readonly Option<string?> Token = new("--token") { Description = "admin token (default APPLIANCE_TOKEN or <data-dir>/admin.token)", Recursive = true };
    private static readonly Option<string?> Fingerprint = new("--fingerprint") { Description = "SHA-256 of the server's CA (default: <data-dir>/ca.crt)", Recursive = true };
    private static readonly Option<bool> Json = new("--json") { Description = "print JSON instead of a table", Recursive = true };

    public static IEnumerable<Command> Create(Option<string?> dataDir)
    {
        yield return Networks(dataDir);
        yield return Keys(dataDir);
        yield return Nodes(dataDir);
        yield return GatewayCommands.ExtClients(dataDir);
        yield return GatewayCommands.DnsEntries(dataDir);
        yield return PolicyCommands.Create(dataDir);
        yield return SigningKeyCommands.Create(dataDir);
        yield return AdminAccountCommands.Create(dataDir);
        yield return MetricsTokenCommands.Create(dataDir);
    }

    internal static Command WithClientOptions(Command c)
    {
        c.Options.Add(Server);
        c.Options.Add(Token);
        c.Options.Add(Fingerprint);
        c.Options.Add(Json);
        return c;
    }

    internal static Func<ParseResult, CancellationToken, Task<int>> Run(Option<string?> dataDir, Func<ParseResult, AdminClient, bool, Task> body) =>
        async (pr, _) =>
        {
            // The root lets unmatched tokens through for the web host's "--key=value" settings; an admin command has
            // none, so anything it did not understand is a mistake to name, not to ignore.
            if (Unrecognised(pr) is { } what)
            {
                Console.Error.WriteLine($"error: {what}; see '{CommandPath(pr)} --help'");
                return 2;
            }
            try
            {
                using var client = AdminClient.Create(pr.GetValue(Server), pr.GetValue(Token), pr.GetValue(Fingerprint),
                    Path.GetFullPath(pr.GetValue(dataDir) ?? Configuration.ServerOptions.DefaultDataDir));
                await body(pr, client, pr.GetValue(Json));
                return 0;
            }
            catch (Exception e) when (e is CliException or UnauthorizedAccessException or IOException or TaskCanceledException
                or System.Security.Cryptography.CryptographicException or System.Text.Json.JsonException)
            {
                Console.Error.WriteLine("error: " + (e is TaskCanceledException ? "the server did not answer in time" : e.Message));
                return 1;
            }
        };

    /// <summary>The tokens a command did not understand, named ("unknown option '--mttu', unexpected argument '1300'"), or null.</summary>
    internal static string? Unrecognised(ParseResult pr) =>
        pr.UnmatchedTokens.Count == 0 ? null
        : string.Join(", ", pr.UnmatchedTokens.Select(t => t.StartsWith('-') && t.Length > 1 && !double.TryParse(t, CultureInfo.InvariantCulture, out _)
            ? $"unknown option '{t}'" : $"unexpected argument '{t}'"));

    private static string CommandPath(ParseResult pr)
    {
        var names = new List<string>();
        for (var r = pr.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, r.Parent is null ? "appliance-server" : r.Command.Name);
        }
        return string.Join(' ', names);
    }

    internal static void PrintJson<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        Console.WriteLine(JsonSerializer.Serialize(value, type));

    private static Command Networks(Option<string?> dataDir)
    {
        var network = WithClientOptions(new Command("network", "manage networks"));

        var name = new Argument<string>("name") { Description = "network name (a DNS label)" };
        var ipv4 = new Option<string>("--ipv4") { Description = "IPv4 range, e.g. 10.10.0.0/24", Required = true };
        var ipv6 = new Option<string?>("--ipv6") { Description = "optional IPv6 range, e.g. fd10::/64" };
        var port = new Option<int?>("--listen-port") { Description = "WireGuard listen port (default 51821)" };
        var mtu = new Option<int?>("--mtu") { Description = "interface MTU (default 1420)" };
        var keepalive = new Option<int?>("--keepalive") { Description = "persistent keepalive seconds (default 20)" };
        var noPunching = new Option<bool>("--no-punching") { Description = "no hole punching between nodes behind NAT (pairs that cannot meet use a relay)" };
        var create = new Command("create", "create a network") { name, ipv4, ipv6, port, mtu, keepalive, noPunching };
        create.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var dto = await c.PostAsync("api/v1/networks", new CreateNetworkRequest
            {
                Name = pr.GetValue(name), Ipv4Cidr = pr.GetValue(ipv4), Ipv6Cidr = pr.GetValue(ipv6),
                ListenPort = pr.GetValue(port), Mtu = pr.GetValue(mtu), Keepalive = pr.GetValue(keepalive),
                Punching = pr.GetValue(noPunching) ? false : null,
            }, ApplianceJsonContext.Default.CreateNetworkRequest, ApplianceJsonContext.Default.NetworkDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.NetworkDto);
            }
            else
            {
                ShowNetworks([dto]);
            }
        }));
        network.Subcommands.Add(create);

        var list = new Command("list", "list networks");
        list.SetAction(Run(dataDir, async (_, c, json) =>
        {
            var all = await c.GetAsync("api/v1/networks", ApplianceJsonContext.Default.ListNetworkDto);
            if (json)
            {
                PrintJson(all, ApplianceJsonContext.Default.ListNetworkDto);
            }
            else
            {
                ShowNetworks(all);
            }
        }));
        network.Subcommands.Add(list);

        var delName = new Argument<string>("name");
        var force = new Option<bool>("--force") { Description = "also delete the network's nodes" };
        var delete = new Command("delete", "delete a network") { delName, force };
        delete.SetAction(Run(dataDir, async (pr, c, _) =>
        {
            await c.DeleteAsync($"api/v1/networks/{Uri.EscapeDataString(pr.GetValue(delName)!)}?force={(pr.GetValue(force) ? "true" : "false")}");
            Console.WriteLine($"deleted network {pr.GetValue(delName)}");
        }));
        network.Subcommands.Add(delete);
        network.Subcommands.Add(NatCommands.Punching(dataDir));
        return network;
    }

    private static void ShowNetworks(IEnumerable<NetworkDto> networks)
    {
        var t = new Table().AddColumns("NAME", "IPV4", "IPV6", "PORT", "MTU", "KEEPALIVE", "NODES", "VERSION");
        foreach (var n in networks)
        {
            t.AddRow(Markup.Escape(n.Name), n.Ipv4Cidr, n.Ipv6Cidr ?? "-", N(n.ListenPort), N(n.Mtu), N(n.Keepalive), N(n.NodeCount), N(n.Version));
        }
        AnsiConsole.Write(t);
    }

    private static Command Keys(Option<string?> dataDir)
    {
        var key = WithClientOptions(new Command("key", "manage enrollment keys"));

        // One value per --network (and --range): taking several per token would swallow a mistyped option after it.
        var networks = new Option<string[]>("--network") { Description = "network the key joins (repeatable)", Required = true };
        var uses = new Option<int?>("--uses") { Description = "how many joins (default unlimited)" };
        var expires = new Option<string?>("--expires") { Description = "ISO 8601 time, or a duration like 30m, 12h, 7d" };
        var tags = new Option<string[]>("--tag") { Description = "tag given to joining nodes (repeatable)" };
        var create = new Command("create", "create an enrollment key and print its join token") { networks, uses, expires, tags };
        create.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var dto = await c.PostAsync("api/v1/enrollment-keys", new CreateEnrollmentKeyRequest
            {
                Networks = pr.GetValue(networks), Uses = pr.GetValue(uses), ExpiresAt = ParseExpiry(pr.GetValue(expires)), Tags = pr.GetValue(tags),
            }, ApplianceJsonContext.Default.CreateEnrollmentKeyRequest, ApplianceJsonContext.Default.EnrollmentKeyDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.EnrollmentKeyDto);
                return;
            }
            ShowKeys([dto]);
            Console.WriteLine("join token (shown once; on the device run: appliance-agent join --token <token>):");
            Console.WriteLine(dto.Token);
        }));
        key.Subcommands.Add(create);

        var list = new Command("list", "list enrollment keys");
        list.SetAction(Run(dataDir, async (_, c, json) =>
        {
            var all = await c.GetAsync("api/v1/enrollment-keys", ApplianceJsonContext.Default.ListEnrollmentKeyDto);
            if (json)
            {
                PrintJson(all, ApplianceJsonContext.Default.ListEnrollmentKeyDto);
            }
            else
            {
                ShowKeys(all);
            }
        }));
        key.Subcommands.Add(list);

        var id = new Argument<string>("id");
        var delete = new Command("delete", "revoke an enrollment key") { id };
        delete.SetAction(Run(dataDir, async (pr, c, _) =>
        {
            await c.DeleteAsync($"api/v1/enrollment-keys/{Uri.EscapeDataString(pr.GetValue(id)!)}");
            Console.WriteLine($"deleted enrollment key {pr.GetValue(id)}");
        }));
        key.Subcommands.Add(delete);
        return key;
    }

    internal static DateTimeOffset? ParseExpiry(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }
        var unit = text[^1];
        if (double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            TimeSpan? span = unit switch
            {
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (span is { } s)
            {
                return DateTimeOffset.UtcNow + s;
            }
        }
        throw new CliException($"--expires '{text}' is neither an ISO 8601 time nor a duration like 30m, 12h, 7d");
    }

    private static void ShowKeys(IEnumerable<EnrollmentKeyDto> keys)
    {
        var t = new Table().AddColumns("ID", "NETWORKS", "USES LEFT", "EXPIRES", "TAGS");
        foreach (var k in keys)
        {
            t.AddRow(k.Id, Markup.Escape(string.Join(",", k.Networks)), k.Unlimited ? "unlimited" : N(k.UsesRemaining ?? 0),
                k.ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never", Markup.Escape(string.Join(",", k.Tags)));
        }
        AnsiConsole.Write(t);
    }

    private static Command Nodes(Option<string?> dataDir)
    {
        var node = WithClientOptions(new Command("node", "manage nodes"));

        var network = new Option<string?>("--network") { Description = "only this network's nodes" };
        var list = new Command("list", "list nodes") { network };
        list.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var net = pr.GetValue(network);
            var all = await c.GetAsync(net is null ? "api/v1/nodes" : $"api/v1/networks/{Uri.EscapeDataString(net)}/nodes", ApplianceJsonContext.Default.ListNodeDto);
            if (json)
            {
                PrintJson(all, ApplianceJsonContext.Default.ListNodeDto);
                return;
            }
            var t = new Table().AddColumns("ID", "NETWORK", "NAME", "ADDRESSES", "PUBLIC KEY", "ENDPOINTS", "LAST SEEN");
            foreach (var n in all)
            {
                t.AddRow(n.Id, Markup.Escape(n.Network), Markup.Escape(n.Name),
                    Markup.Escape(string.Join(" ", new[] { n.Ipv4Address, n.Ipv6Address }.OfType<string>())),
                    n.PublicKey, Markup.Escape(string.Join(" ", n.Endpoints)), n.LastSeen?.ToString("u", CultureInfo.InvariantCulture) ?? "never");
            }
            AnsiConsole.Write(t);
        }));
        node.Subcommands.Add(list);

        var updateId = new Argument<string>("id");
        var newName = new Option<string?>("--name") { Description = "new name (a DNS label)" };
        var listenPort = new Option<int?>("--listen-port") { Description = "new WireGuard listen port" };
        var endpoints = new Option<string[]>("--endpoint") { Description = "endpoint IP[:port] (repeatable; replaces the list)" };
        var tags = new Option<string[]>("--tag") { Description = "tag (repeatable; replaces the node's tags)" };
        var update = new Command("update", "change a node's name, listen port, endpoints or tags") { updateId, newName, listenPort, endpoints, tags };
        update.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var eps = pr.GetValue(endpoints);
            var t = pr.GetValue(tags);
            var dto = await c.PatchAsync($"api/v1/nodes/{Uri.EscapeDataString(pr.GetValue(updateId)!)}", new UpdateNodeRequest
            {
                Name = pr.GetValue(newName), ListenPort = pr.GetValue(listenPort), Endpoints = eps is { Length: > 0 } ? eps : null,
                Tags = t is { Length: > 0 } ? t : null,
            }, ApplianceJsonContext.Default.UpdateNodeRequest, ApplianceJsonContext.Default.NodeDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.NodeDto);
            }
            else
            {
                Console.WriteLine($"updated node {dto.Name} ({dto.Id}): listen port {dto.ListenPort}, endpoints {string.Join(" ", dto.Endpoints)}, tags {string.Join(",", dto.Tags)}");
            }
        }));
        node.Subcommands.Add(update);

        var identifyId = new Argument<string>("id");
        var seconds = new Option<int?>("--seconds") { Description = "how long the status LED blinks (default 30, 1..3600)" };
        var identify = new Command("identify", "make a node's status LED blink so it can be found (a signed command over MQTT)") { identifyId, seconds };
        identify.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var dto = await c.PostAsync($"api/v1/nodes/{Uri.EscapeDataString(pr.GetValue(identifyId)!)}/identify", new IdentifyRequest { Seconds = pr.GetValue(seconds) },
                ApplianceJsonContext.Default.IdentifyRequest, ApplianceJsonContext.Default.IdentifyDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.IdentifyDto);
            }
            else
            {
                Console.WriteLine($"node {dto.NodeId} blinks for {N(dto.Seconds)} s{(dto.Online ? string.Empty : " (it is offline now: it blinks if it comes back within 5 minutes)")}");
            }
        }));
        node.Subcommands.Add(identify);

        var id = new Argument<string>("id");
        var delete = new Command("delete", "remove a node from its network") { id };
        delete.SetAction(Run(dataDir, async (pr, c, _) =>
        {
            await c.DeleteAsync($"api/v1/nodes/{Uri.EscapeDataString(pr.GetValue(id)!)}");
            Console.WriteLine($"deleted node {pr.GetValue(id)}");
        }));
        node.Subcommands.Add(delete);
        GatewayCommands.AddNodeRoles(node, dataDir);
        NatCommands.AddNodeRelay(node, dataDir);
        return node;
    }

    internal static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
}
