using System.CommandLine;
using System.Globalization;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using static Appliance.Server.Cli.AdminCommands;

namespace Appliance.Server.Cli;

/// <summary>`policy set|get|test|delete`: a network's access policy.</summary>
public static class PolicyCommands
{
    private static string Path(string network) => $"api/v1/networks/{Uri.EscapeDataString(network)}/policy";

    public static Command Create(Option<string?> dataDir)
    {
        var cmd = WithClientOptions(new Command("policy", "a network's access policy: who may reach whom (no policy: everything is allowed)"));

        var setNet = new Argument<string>("network") { Description = "network name" };
        var setFile = new Argument<FileInfo>("file") { Description = "the policy document (JSON; comments and trailing commas allowed; - for stdin)" };
        var set = new Command("set", "check a policy document (names, its own tests) and put it in force") { setNet, setFile };
        set.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var dto = await c.SendTextAsync(HttpMethod.Put, Path(pr.GetValue(setNet)!), await ReadAsync(pr.GetValue(setFile)!), ApplianceJsonContext.Default.PolicyDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.PolicyDto);
                return;
            }
            Console.WriteLine($"network {dto.Network}: policy revision {dto.Revision} in force ({dto.Rules} rules, {dto.Groups} groups, {dto.Tests} tests passed)");
        }));
        cmd.Subcommands.Add(set);

        var getNet = new Argument<string>("network") { Description = "network name" };
        var get = new Command("get", "print the network's policy document as it was set") { getNet };
        get.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            var dto = await c.GetAsync(Path(pr.GetValue(getNet)!), ApplianceJsonContext.Default.PolicyDto);
            if (json)
            {
                PrintJson(dto, ApplianceJsonContext.Default.PolicyDto);
                return;
            }
            Console.Error.WriteLine($"# network {dto.Network}, revision {dto.Revision}, set {dto.UpdatedAt.ToString("u", CultureInfo.InvariantCulture)}");
            Console.Write(dto.Text);
            if (!dto.Text.EndsWith('\n'))
            {
                Console.WriteLine();
            }
        }));
        cmd.Subcommands.Add(get);

        var testNet = new Argument<string>("network") { Description = "network name" };
        var testFile = new Argument<FileInfo>("file") { Description = "the policy document to evaluate (not stored; - for stdin)" };
        var test = new Command("test", "evaluate a policy document against the network without storing it: each test's result") { testNet, testFile };
        test.SetAction(async (pr, ct) =>
        {
            var failed = false;
            var code = await Run(dataDir, async (pr2, c, json) =>
            {
                var report = await c.SendTextAsync(HttpMethod.Post, Path(pr2.GetValue(testNet)!) + "/test", await ReadAsync(pr2.GetValue(testFile)!), ApplianceJsonContext.Default.PolicyTestReportDto);
                failed = !report.Passed;
                if (json)
                {
                    PrintJson(report, ApplianceJsonContext.Default.PolicyTestReportDto);
                    return;
                }
                foreach (var t in report.Tests)
                {
                    var what = string.Join(" ", t.Accept.Select(p => "accept " + p).Concat(t.Deny.Select(p => "deny " + p)));
                    Console.WriteLine($"{(t.Passed ? "PASS" : "FAIL")}  line {t.Line}: from {t.From} to {t.To}: {what}");
                    foreach (var f in t.Failures)
                    {
                        Console.WriteLine("      " + f);
                    }
                }
                Console.WriteLine($"{report.Tests.Count(t => t.Passed)} of {report.Tests.Count} tests passed");
            })(pr, ct);
            // A failing test is an answer, not an error, but scripts should see it.
            return code == 0 && failed ? 3 : code;
        });
        cmd.Subcommands.Add(test);

        var delNet = new Argument<string>("network") { Description = "network name" };
        var delete = new Command("delete", "remove the network's policy: everything is allowed again") { delNet };
        delete.SetAction(Run(dataDir, async (pr, c, json) =>
        {
            await c.DeleteAsync(Path(pr.GetValue(delNet)!));
            Console.WriteLine($"network {pr.GetValue(delNet)}: no policy, everything is allowed");
        }));
        cmd.Subcommands.Add(delete);
        return cmd;
    }

    private static async Task<string> ReadAsync(FileInfo file)
    {
        if (file.Name == "-" && file.DirectoryName is not null && !file.Exists)
        {
            return await Console.In.ReadToEndAsync();
        }
        try
        {
            if (file.Length > Domain.Policy.AccessPolicyParser.MaxDocumentBytes)
            {
                throw new CliException($"{file.FullName} is {file.Length} bytes; a policy document is at most {Domain.Policy.AccessPolicyParser.MaxDocumentBytes}");
            }
            return await File.ReadAllTextAsync(file.FullName);
        }
        catch (FileNotFoundException)
        {
            throw new CliException($"no such file: {file.FullName}");
        }
    }
}
