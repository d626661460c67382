using System.CommandLine;
using Appliance.Server.Domain;
using Appliance.Server.Hosting;
using Appliance.Server.Security;
using Appliance.Server.Store;

namespace Appliance.Server.Cli;

/// <summary>
/// `appliance-server metrics-token create|revoke`: the read-only scrape token for GET /metrics. Run on the server
/// machine, on its data dir (like `admin`): the token is printed once and only its hash is kept.
/// </summary>
public static class MetricsTokenCommands
{
    public static Command Create(Option<string?> dataDir)
    {
        var command = new Command("metrics-token", "the read-only scrape token for GET /metrics (on the server machine)");
        var create = new Command("create", "make a new scrape token (the previous one stops working); printed once");
        create.SetAction(Run(dataDir, "create", async store =>
        {
            var token = await MetricsToken.CreateAsync(store, CancellationToken.None);
            System.Console.WriteLine(token);
            System.Console.Error.WriteLine("scrape with: Authorization: Bearer <this token> on GET /metrics (Prometheus: authorization.credentials)");
            return 0;
        }));
        command.Subcommands.Add(create);
        var revoke = new Command("revoke", "forget the scrape token: /metrics then needs the admin token");
        revoke.SetAction(Run(dataDir, "revoke", async store =>
        {
            if (!await MetricsToken.RevokeAsync(store, CancellationToken.None))
            {
                System.Console.Error.WriteLine("error: there is no scrape token");
                return 1;
            }
            System.Console.WriteLine("revoked the scrape token");
            return 0;
        }));
        command.Subcommands.Add(revoke);
        return command;
    }

    private static Func<ParseResult, CancellationToken, Task<int>> Run(Option<string?> dataDir, string verb, Func<IApplianceStore, Task<int>> body) =>
        async (pr, _) =>
        {
            if (AdminCommands.Unrecognised(pr) is { } what)
            {
                System.Console.Error.WriteLine($"error: {what}; see 'appliance-server metrics-token --help'");
                return 2;
            }
            var db = Path.Combine(Path.GetFullPath(pr.GetValue(dataDir) ?? Configuration.ServerOptions.DefaultDataDir), ServerStartup.DatabaseFileName);
            if (!File.Exists(db))
            {
                System.Console.Error.WriteLine($"error: no server store at {db}; start the server once (or pass --data-dir)");
                return 1;
            }
            try
            {
                using var store = new SqliteStore(db);
                using var activity = ActivityScope.Begin(ActivityActorKind.Cli, Environment.UserName, "metrics-token " + verb);
                return await body(store);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
            {
                System.Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
        };
}
