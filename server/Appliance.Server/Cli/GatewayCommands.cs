using System.CommandLine;
using System.Globalization;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Spectre.Console;
using static Appliance.Server.Cli.AdminCommands;

namespace Appliance.Server.Cli;

/// <summary>`node ingress|egress|internet-gateway`, `ext-client ...` and `dns ...`: the gateway and DNS part of the admin CLI.</summary>
public static class GatewayCommands
{
    private static string Esc(string s) => Uri.EscapeDataString(s);

    public static void AddNodeRoles(Command node, Option<string?> dataDir)
    {
        var id = new Argument<string>("id") { Description = "node id" };
        var noNat = new Option<bool>("--no-nat") { Description = "route instead of masquerading (the other nodes see the client/mesh addresses)" };
        var dns = new Option<string[]>("--dns") { Description = "DNS server (or search domain) for the ext clients' configs (repeatable; default: the gateway itself)" };
        var remove = new Option<bool>("--remove") { Description = "take the role away" };
        var force = new Option<bool>("--force") { Description = "with --remove: also delete the gateway's ext clients" };
        var ingress = new Command("ingress", "make a node an ingress gateway for ext clients (or --remove)") { id, noNat, dns, remove, force };
        ingress.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var path = $"api/v1/nodes/{Esc(pr.GetValue(id)!)}/ingress";
            if (pr.GetValue(remove))
            {
                await c.DeleteAsync(path + (pr.GetValue(force) ? "?force=true" : string.Empty));
                Console.WriteLine($"removed the ingress role of node {pr.GetValue(id)}");
                return;
            }
            var d = pr.GetValue(dns);
            var dto = await c.PutAsync(path, new IngressRequest { Nat = !pr.GetValue(noNat), Dns = d is { Length: > 0 } ? d : null },
                ApplianceJsonContext.Default.IngressRequest, ApplianceJsonContext.Default.IngressDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.IngressDto);
                return;
            }
            Console.WriteLine($"node {dto.NodeId} is an ingress gateway: {(dto.Nat ? "NAT" : "routed")}, DNS {(dto.Dns.Count == 0 ? "the gateway itself" : string.Join(", ", dto.Dns))}, {dto.ExtClientCount} ext clients");
        }));
        node.Subcommands.Add(ingress);

        var eid = new Argument<string>("id") { Description = "node id" };
        var ranges = new Option<string[]>("--range") { Description = "CIDR behind the node (repeatable; 0.0.0.0/0 or ::/0 = internet gateway)" };
        var eNoNat = new Option<bool>("--no-nat") { Description = "route without masquerading (the LAN needs a route back to the mesh)" };
        var eRemove = new Option<bool>("--remove") { Description = "take the role away" };
        var egress = new Command("egress", "route the mesh to ranges behind a node (or --remove)") { eid, ranges, eNoNat, eRemove };
        egress.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var path = $"api/v1/nodes/{Esc(pr.GetValue(eid)!)}/egress";
            if (pr.GetValue(eRemove))
            {
                await c.DeleteAsync(path);
                Console.WriteLine($"removed the egress role of node {pr.GetValue(eid)}");
                return;
            }
            var dto = await c.PutAsync(path, new EgressRequest { Ranges = pr.GetValue(ranges) ?? [], Nat = !pr.GetValue(eNoNat) },
                ApplianceJsonContext.Default.EgressRequest, ApplianceJsonContext.Default.EgressDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.EgressDto);
                return;
            }
            Console.WriteLine($"node {dto.NodeId} routes {string.Join(", ", dto.Ranges)} ({(dto.Nat ? "NAT" : "routed")})");
        }));
        node.Subcommands.Add(egress);

        var nid = new Argument<string>("id") { Description = "node id" };
        var via = new Argument<string>("gateway") { Description = "id of an egress node with 0.0.0.0/0 or ::/0, or 'none'" };
        var internet = new Command("internet-gateway", "send a node's internet traffic through another node (or 'none')") { nid, via };
        internet.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var target = pr.GetValue(via)!;
            var dto = await c.PatchAsync($"api/v1/nodes/{Esc(pr.GetValue(nid)!)}", new UpdateNodeRequest { InternetGateway = target == "none" ? string.Empty : target },
                ApplianceJsonContext.Default.UpdateNodeRequest, ApplianceJsonContext.Default.NodeDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.NodeDto);
                return;
            }
            Console.WriteLine(dto.InternetGateway is null ? $"node {dto.Name} uses its own internet connection" : $"node {dto.Name} sends its internet traffic through {dto.InternetGateway}");
        }));
        node.Subcommands.Add(internet);
    }

    public static Command ExtClients(Option<string?> dataDir)
    {
        var cmd = WithClientOptions(new Command("ext-client", "manage plain WireGuard clients of ingress gateways"));

        var network = new Argument<string>("network");
        var gateway = new Option<string>("--gateway") { Description = "the ingress gateway's node id (or name)", Required = true };
        var name = new Option<string?>("--name") { Description = "client name (a DNS label; default client, client-2...)" };
        var publicKey = new Option<string?>("--public-key") { Description = "the client's own WireGuard public key (the server then never sees its private key)" };
        var expires = new Option<string?>("--expires") { Description = "ISO 8601 time, or a duration like 30m, 12h, 7d" };
        var create = new Command("create", "create an ext client") { network, gateway, name, publicKey, expires };
        create.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var dto = await c.PostAsync($"api/v1/networks/{Esc(pr.GetValue(network)!)}/ext-clients", new CreateExtClientRequest
            {
                Gateway = pr.GetValue(gateway), Name = pr.GetValue(name), PublicKey = pr.GetValue(publicKey), ExpiresAt = ParseExpiry(pr.GetValue(expires)),
            }, ApplianceJsonContext.Default.CreateExtClientRequest, ApplianceJsonContext.Default.ExtClientDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.ExtClientDto); // the one created, like the API's answer
            }
            else
            {
                Show([dto], json: false);
            }
        }));
        cmd.Subcommands.Add(create);

        var listNetwork = new Argument<string>("network");
        var list = new Command("list", "list a network's ext clients") { listNetwork };
        list.SetAction(Run(dataDir, async (pr, c, json) =>
            Show(await c.GetAsync($"api/v1/networks/{Esc(pr.GetValue(listNetwork)!)}/ext-clients", ApplianceJsonContext.Default.ListExtClientDto), json)));
        cmd.Subcommands.Add(list);

        var id = new Argument<string>("id");
        var output = new Option<string?>("--output", "-o") { Description = "write to this file instead of stdout" };
        var config = new Command("config", "print (or save) the client's wg-quick file") { id, output };
        config.SetAction(Run(dataDir, async (pr, c, _) => await WriteAsync(await c.GetBytesAsync($"api/v1/ext-clients/{Esc(pr.GetValue(id)!)}/config"), pr.GetValue(output))));
        cmd.Subcommands.Add(config);

        var qrId = new Argument<string>("id");
        var format = new Option<string>("--format") { Description = "png or svg", DefaultValueFactory = _ => "png" };
        var qrOut = new Option<string>("--output", "-o") { Description = "file to write the image to", Required = true };
        var qr = new Command("qr", "save the client's config as a QR code image") { qrId, format, qrOut };
        qr.SetAction(Run(dataDir, async (pr, c, _) =>
            await WriteAsync(await c.GetBytesAsync($"api/v1/ext-clients/{Esc(pr.GetValue(qrId)!)}/qr?format={Esc(pr.GetValue(format)!)}"), pr.GetValue(qrOut))));
        cmd.Subcommands.Add(qr);

        foreach (var (verb, enabled) in new[] { ("enable", true), ("disable", false) })
        {
            var target = new Argument<string>("id");
            var toggle = new Command(verb, $"{verb} an ext client") { target };
            toggle.SetAction(Run(dataDir, async (pr, c, json) => Show([await c.PatchAsync($"api/v1/ext-clients/{Esc(pr.GetValue(target)!)}",
                new UpdateExtClientRequest { Enabled = enabled }, ApplianceJsonContext.Default.UpdateExtClientRequest, ApplianceJsonContext.Default.ExtClientDto)], json)));
            cmd.Subcommands.Add(toggle);
        }

        var delId = new Argument<string>("id");
        var delete = new Command("delete", "delete an ext client") { delId };
        delete.SetAction(Run(dataDir, async (pr, c, _) =>
        {
            await c.DeleteAsync($"api/v1/ext-clients/{Esc(pr.GetValue(delId)!)}");
            Console.WriteLine($"deleted ext client {pr.GetValue(delId)}");
        }));
        cmd.Subcommands.Add(delete);
        return cmd;
    }

    public static Command DnsEntries(Option<string?> dataDir)
    {
        var cmd = WithClientOptions(new Command("dns", "manage custom DNS entries of a network's zone"));

        var network = new Argument<string>("network");
        var name = new Argument<string>("name") { Description = "name relative to the zone, e.g. printer" };
        var type = new Argument<string>("type") { Description = "A, AAAA or CNAME" };
        var value = new Argument<string>("value") { Description = "address (A, AAAA) or domain name (CNAME)" };
        var add = new Command("add", "add an entry") { network, name, type, value };
        add.SetAction(Run(dataDir, async (pr, c, json) => ShowDns([await c.PostAsync($"api/v1/networks/{Esc(pr.GetValue(network)!)}/dns",
            new CreateDnsEntryRequest { Name = pr.GetValue(name), Type = pr.GetValue(type), Value = pr.GetValue(value) },
            ApplianceJsonContext.Default.CreateDnsEntryRequest, ApplianceJsonContext.Default.DnsEntryDto)], json)));
        cmd.Subcommands.Add(add);

        var listNetwork = new Argument<string>("network");
        var list = new Command("list", "list a network's entries") { listNetwork };
        list.SetAction(Run(dataDir, async (pr, c, json) =>
            ShowDns(await c.GetAsync($"api/v1/networks/{Esc(pr.GetValue(listNetwork)!)}/dns", ApplianceJsonContext.Default.ListDnsEntryDto), json)));
        cmd.Subcommands.Add(list);

        var delNetwork = new Argument<string>("network");
        var id = new Argument<string>("id");
        var delete = new Command("delete", "delete an entry") { delNetwork, id };
        delete.SetAction(Run(dataDir, async (pr, c, _) =>
        {
            await c.DeleteAsync($"api/v1/networks/{Esc(pr.GetValue(delNetwork)!)}/dns/{Esc(pr.GetValue(id)!)}");
            Console.WriteLine($"deleted DNS entry {pr.GetValue(id)}");
        }));
        cmd.Subcommands.Add(delete);
        return cmd;
    }

    private static async Task WriteAsync(byte[] bytes, string? path)
    {
        if (path is null)
        {
            await using var stdout = Console.OpenStandardOutput();
            await stdout.WriteAsync(bytes);
            return;
        }
        // A config (or its QR code) may carry the client's private key: owner-only from the start, then renamed into place.
        var temp = path + ".tmp";
        await using (var file = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            await file.WriteAsync(bytes);
        }
        File.Move(temp, path, overwrite: true);
        Console.Error.WriteLine($"wrote {path}");
    }

    private static void Show(List<ExtClientDto> clients, bool json)
    {
        if (json)
        {
            PrintJson(clients, ApplianceJsonContext.Default.ListExtClientDto);
            return;
        }
        var t = new Table().AddColumns("ID", "NAME", "GATEWAY", "ADDRESSES", "ACTIVE", "EXPIRES", "RX", "TX", "HANDSHAKE");
        foreach (var c in clients)
        {
            t.AddRow(c.Id, Markup.Escape(c.Name), c.Gateway, Markup.Escape(string.Join(" ", new[] { c.Ipv4Address, c.Ipv6Address }.OfType<string>())),
                c.Active ? "yes" : c.Enabled ? "expired" : "disabled", c.ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never",
                c.RxBytes is { } rx ? N(rx) : "-", c.TxBytes is { } tx ? N(tx) : "-", c.LastHandshake?.ToString("u", CultureInfo.InvariantCulture) ?? "never");
        }
        AnsiConsole.Write(t);
    }

    private static void ShowDns(List<DnsEntryDto> entries, bool json)
    {
        if (json)
        {
            PrintJson(entries, ApplianceJsonContext.Default.ListDnsEntryDto);
            return;
        }
        var t = new Table().AddColumns("ID", "NAME", "TYPE", "VALUE");
        foreach (var d in entries)
        {
            t.AddRow(d.Id, Markup.Escape(d.Name), d.Type, Markup.Escape(d.Value));
        }
        AnsiConsole.Write(t);
    }
}
