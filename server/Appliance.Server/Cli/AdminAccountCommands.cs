using System.CommandLine;
using System.Globalization;
using System.Text;
using Appliance.Server.Domain;
using Appliance.Server.Hosting;
using Appliance.Server.Services;
using Appliance.Server.Store;

namespace Appliance.Server.Cli;

/// <summary>
/// `appliance-server admin add|list|remove|passwd`: the web console's accounts. Run on the server machine: they open
/// the store in the data dir directly (a running server sees the change at once; `remove` and `passwd` end the
/// account's sessions). A password is asked for twice without echo on a terminal, or read as the first line of stdin.
/// </summary>
public static class AdminAccountCommands
{
    public static Command Create(Option<string?> dataDir)
    {
        var admin = new Command("admin", "manage the web console's accounts (on the server machine)");

        var addName = new Argument<string>("name") { Description = "account name (a-z, 0-9, '-')" };
        var add = new Command("add", "add an account; asks for its password (or reads it from stdin)") { addName };
        add.SetAction(Run(dataDir, async (pr, svc) =>
        {
            var name = pr.GetValue(addName)!;
            await svc.AddAsync(name, ReadPassword(), CancellationToken.None);
            System.Console.WriteLine($"added '{name}': sign in at the server's URL (https://<host>:8443/)");
        }));
        admin.Subcommands.Add(add);

        var list = new Command("list", "list the accounts");
        list.SetAction(Run(dataDir, async (_, svc) =>
        {
            foreach (var a in await svc.ListAsync(CancellationToken.None))
            {
                System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{a.Name}\tadded {a.CreatedAt:yyyy-MM-dd HH:mm}Z\tpassword set {a.PasswordChangedAt:yyyy-MM-dd HH:mm}Z"));
            }
        }));
        admin.Subcommands.Add(list);

        var removeName = new Argument<string>("name");
        var remove = new Command("remove", "remove an account (its sessions end)") { removeName };
        remove.SetAction(Run(dataDir, async (pr, svc) =>
        {
            await svc.RemoveAsync(pr.GetValue(removeName)!, CancellationToken.None);
            System.Console.WriteLine($"removed '{pr.GetValue(removeName)}'");
        }));
        admin.Subcommands.Add(remove);

        var passwdName = new Argument<string>("name");
        var passwd = new Command("passwd", "set an account's password (its sessions end)") { passwdName };
        passwd.SetAction(Run(dataDir, async (pr, svc) =>
        {
            await svc.ChangePasswordAsync(pr.GetValue(passwdName)!, ReadPassword(), CancellationToken.None);
            System.Console.WriteLine($"changed the password of '{pr.GetValue(passwdName)}'");
        }));
        admin.Subcommands.Add(passwd);
        return admin;
    }

    private static Func<ParseResult, CancellationToken, Task<int>> Run(Option<string?> dataDir, Func<ParseResult, AdminAccountService, Task> body) =>
        async (pr, _) =>
        {
            if (AdminCommands.Unrecognised(pr) is { } what)
            {
                System.Console.Error.WriteLine($"error: {what}; see 'appliance-server admin --help'");
                return 2;
            }
            var dir = Path.GetFullPath(pr.GetValue(dataDir) ?? Configuration.ServerOptions.DefaultDataDir);
            var db = Path.Combine(dir, ServerStartup.DatabaseFileName);
            try
            {
                // With PostgreSQL (the servers' APPLIANCE_STORE__* settings in the environment) the accounts are in the database.
                var (kind, connection) = Configuration.ServerOptions.ParseStore(
                    Environment.GetEnvironmentVariable("APPLIANCE_STORE__KIND"), Environment.GetEnvironmentVariable("APPLIANCE_STORE__CONNECTIONSTRING"));
                if (kind == Configuration.StoreKind.Sqlite && !File.Exists(db))
                {
                    System.Console.Error.WriteLine($"error: no server store at {db}; start the server once (or pass --data-dir)");
                    return 1;
                }
                using var store = kind == Configuration.StoreKind.Postgres ? (IDisposable)new PostgresStore(connection!) : new SqliteStore(db);
                // On the store itself: the activity log names the OS user and the command (never the password).
                var command = pr.CommandResult.Command;
                var target = command.Arguments.Count > 0 ? pr.GetValue((Argument<string>)command.Arguments[0]) : null;
                using var activity = ActivityScope.Begin(ActivityActorKind.Cli, Environment.UserName, $"admin {command.Name} {target}".TrimEnd());
                await body(pr, new AdminAccountService((IApplianceStore)store, TimeProvider.System));
                return 0;
            }
            catch (DomainException e)
            {
                System.Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Data.Common.DbException or InvalidOperationException or CliException)
            {
                System.Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
        };

    private static string ReadPassword()
    {
        if (System.Console.IsInputRedirected)
        {
            return System.Console.In.ReadLine() ?? throw new CliException("no password on stdin");
        }
        var first = Prompt("password: ");
        var again = Prompt("again: ");
        return first == again ? first : throw new CliException("the two passwords differ");
    }

    private static string Prompt(string label)
    {
        System.Console.Error.Write(label);
        var text = new StringBuilder();
        while (true)
        {
            var key = System.Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                System.Console.Error.WriteLine();
                return text.ToString();
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                text.Length = Math.Max(0, text.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar) && text.Length < 1024)
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
