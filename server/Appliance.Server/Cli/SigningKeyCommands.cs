using System.CommandLine;
using System.Globalization;
using Appliance.Contracts;
using Appliance.Contracts.Api;

namespace Appliance.Server.Cli;

/// <summary>`appliance-server signing-key show|rotate`: the key that signs what the server pushes to nodes.</summary>
public static class SigningKeyCommands
{
    public static Command Create(Option<string?> dataDir)
    {
        var signingKey = AdminCommands.WithClientOptions(new Command("signing-key", "show or rotate the key that signs the server's updates to nodes"));

        var show = new Command("show", "print the signing key in use");
        show.SetAction(AdminCommands.Run(dataDir, async (_, c, json) => Print(await c.GetAsync("api/v1/signing-key", ApplianceJsonContext.Default.SigningKeyDto), json)));
        signingKey.Subcommands.Add(show);

        var rotate = new Command("rotate", "make a new signing key and announce it to every node, signed by the current one");
        rotate.SetAction(AdminCommands.Run(dataDir, async (_, c, json) =>
        {
            var dto = await c.PostAsync("api/v1/signing-key/rotate", ApplianceJsonContext.Default.SigningKeyDto);
            Print(dto, json);
        }));
        signingKey.Subcommands.Add(rotate);
        return signingKey;
    }

    private static void Print(SigningKeyDto dto, bool json)
    {
        if (json)
        {
            AdminCommands.PrintJson(dto, ApplianceJsonContext.Default.SigningKeyDto);
            return;
        }
        Console.WriteLine($"signing key #{dto.Sequence.ToString(CultureInfo.InvariantCulture)}: {dto.PublicKey} (since {dto.CreatedAt.ToString("u", CultureInfo.InvariantCulture)})");
    }
}
