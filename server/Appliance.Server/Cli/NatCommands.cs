using System.CommandLine;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using static Appliance.Server.Cli.AdminCommands;

namespace Appliance.Server.Cli;

/// <summary>`node relay` and `network punching`: the NAT traversal part of the admin CLI (issue #18).</summary>
public static class NatCommands
{
    public static void AddNodeRelay(Command node, Option<string?> dataDir)
    {
        var id = new Argument<string>("id") { Description = "node id" };
        var off = new Option<bool>("--off") { Description = "make it an ordinary node again" };
        var relay = new Command("relay", "let a node with a public endpoint carry traffic for pairs that cannot meet directly (or --off)") { id, off };
        relay.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var path = $"api/v1/nodes/{Uri.EscapeDataString(pr.GetValue(id)!)}/relay";
            if (pr.GetValue(off))
            {
                await c.DeleteAsync(path);
                Console.WriteLine($"node {pr.GetValue(id)} is no relay");
                return;
            }
            var dto = await c.PutAsync(path, ApplianceJsonContext.Default.NodeDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.NodeDto);
                return;
            }
            Console.WriteLine($"node {dto.Name} is a relay");
        }));
        node.Subcommands.Add(relay);
    }

    public static Command Punching(Option<string?> dataDir)
    {
        var name = new Argument<string>("name") { Description = "network name" };
        var state = new Argument<string>("state") { Description = "on or off" };
        var cmd = new Command("punching", "turn hole punching between nodes behind NAT on or off") { name, state };
        cmd.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var on = pr.GetValue(state) switch
            {
                "on" => true,
                "off" => false,
                var other => throw new CliException($"state must be on or off, not '{other}'"),
            };
            var dto = await c.PatchAsync($"api/v1/networks/{Uri.EscapeDataString(pr.GetValue(name)!)}", new UpdateNetworkRequest { Punching = on },
                ApplianceJsonContext.Default.UpdateNetworkRequest, ApplianceJsonContext.Default.NetworkDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.NetworkDto);
                return;
            }
            Console.WriteLine($"network {dto.Name}: hole punching {(dto.Punching ? "on" : "off")}");
        }));
        return cmd;
    }
}
