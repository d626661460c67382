using System.CommandLine;
using Appliance.Server.Security;
using Appliance.Server.Store;

namespace Appliance.Server.Cli;

/// <summary>
/// <c>appliance-server migrate --from sqlite:PATH --to postgres:CONNSTRING</c>: moves an installation's store and its
/// data dir's secrets (CA, signing key) into an empty PostgreSQL database, verified table by table (<see cref="StoreCopier"/>).
/// Run it with the server stopped; then start the servers with <c>--store postgres</c>.
/// </summary>
public static class MigrateCommand
{
    public static Command Create(Option<string?> dataDir)
    {
        var from = new Option<string>("--from") { Description = "the store to copy: sqlite:PATH (the data dir's appliance.db)", Required = true };
        var to = new Option<string>("--to") { Description = "the empty database to copy into: postgres:CONNECTION-STRING", Required = true };
        var command = new Command("migrate", "copy a SQLite store and its data dir's secrets into an empty PostgreSQL database, verified") { from, to };
        command.SetAction((pr, _) =>
        {
            if (AdminCommands.Unrecognised(pr) is { } what)
            {
                Console.Error.WriteLine($"error: {what}; see 'appliance-server migrate --help'");
                return Task.FromResult(2);
            }
            return Task.FromResult(Run(pr.GetValue(from)!, pr.GetValue(to)!, pr.GetValue(dataDir), Console.Out, Console.Error));
        });
        return command;
    }

    /// <summary>The command itself: 0 when everything moved and matched, 1 with a message on stderr otherwise.</summary>
    /// <param name="dataDir">Where the secrets are (default: the SQLite file's directory).</param>
    public static int Run(string from, string to, string? dataDir, TextWriter output, TextWriter error)
    {
        try
        {
            if (!from.StartsWith("sqlite:", StringComparison.Ordinal) || from.Length == "sqlite:".Length)
            {
                throw new InvalidOperationException($"--from must be sqlite:PATH, not '{from}'");
            }
            if (!to.StartsWith("postgres:", StringComparison.Ordinal) || to.Length == "postgres:".Length)
            {
                throw new InvalidOperationException("--to must be postgres:CONNECTION-STRING (for example postgres:'Host=db;Database=appliance;Username=appliance')");
            }
            var path = Path.GetFullPath(from["sqlite:".Length..]);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"no SQLite store at {path}");
            }
            var dir = Path.GetFullPath(dataDir ?? Path.GetDirectoryName(path)!);
            var secrets = ReadSecrets(dir);
            using var target = new PostgresStore(to["postgres:".Length..]);
            var copies = StoreCopier.Copy(path, target, secrets);
            output.WriteLine($"copied {path} into {target.Where} (schema version {target.SchemaVersion}):");
            foreach (var c in copies)
            {
                output.WriteLine($"  {c.Table,-17} {c.Rows,7} rows  sha256 {c.Checksum[..16]}  matches");
            }
            output.WriteLine($"  secrets from {dir}: {string.Join(", ", SecretFiles.Where(f => secrets.ContainsKey(f.Setting)).Select(f => f.File))}");
            output.WriteLine($"the admin token's hash moved with the settings: copy {AdminToken.FileName} from {dir} to the data dir of the server(s) that run the admin CLI");
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or System.Data.Common.DbException)
        {
            error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private static readonly (string File, string Setting)[] SecretFiles =
    [
        ("ca.crt", SharedSecrets.CaCertificateSetting),
        ("ca.key", SharedSecrets.CaKeySetting),
        (SigningKeyRing.FileName, SharedSecrets.SigningKeySetting),
    ];

    // The data dir's secrets as the shared store keeps them (SharedSecrets); the CA goes whole or not at all.
    private static Dictionary<string, string> ReadSecrets(string dir)
    {
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, setting) in SecretFiles)
        {
            var path = Path.Combine(dir, file);
            if (File.Exists(path))
            {
                secrets[setting] = file == SigningKeyRing.FileName ? File.ReadAllText(path).Trim() : File.ReadAllText(path);
            }
        }
        if (secrets.ContainsKey(SharedSecrets.CaCertificateSetting) != secrets.ContainsKey(SharedSecrets.CaKeySetting))
        {
            throw new InvalidOperationException($"{dir} has only one of ca.crt and ca.key; restore the other before migrating (the CA is what join tokens pin)");
        }
        if (!secrets.ContainsKey(SharedSecrets.SigningKeySetting))
        {
            throw new InvalidOperationException($"{Path.Combine(dir, SigningKeyRing.FileName)} is missing: pass the store's data dir with --data-dir (nodes verify updates with its key)");
        }
        return secrets;
    }
}
