using Npgsql;

namespace Appliance.TestSupport;

/// <summary>
/// One real PostgreSQL server for the whole test assembly (Debian's <c>postgresql</c>: initdb and pg_ctl from
/// /usr/lib/postgresql/*/bin), in a temp dir, listening only on a unix socket in that dir; each test takes a fresh
/// database of it (<see cref="CreateDatabase"/>). Started on first use, stopped (and its dir removed) when the test
/// process exits, and at once if it fails to start. initdb and the server refuse to run as root: as root they run as
/// the <c>postgres</c> user the package makes, which owns the temp dir. A missing PostgreSQL fails the test, never skips it.
/// </summary>
public sealed class PostgresCluster
{
    private static readonly Lazy<PostgresCluster> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private const string Superuser = "appliance";

    private readonly string _root;
    private readonly string _pgCtl;
    private readonly string? _runAs;
    private int _databases;

    private PostgresCluster(string root, string pgCtl, string? runAs)
    {
        _root = root;
        _pgCtl = pgCtl;
        _runAs = runAs;
    }

    /// <summary>The assembly's cluster, started on first use.</summary>
    public static PostgresCluster Instance => Shared.Value;

    /// <summary>The directory of the server's unix socket (Npgsql's Host).</summary>
    public string SocketDir => Path.Combine(_root, "run");

    private string DataDir => Path.Combine(_root, "data");

    /// <summary>A connection string to the cluster's maintenance database.</summary>
    public string AdminConnectionString => Connection("postgres");

    /// <summary>A connection string to <paramref name="database"/> on this cluster.</summary>
    public string Connection(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = SocketDir,
        Username = Superuser,
        Database = database,
        // Each store keeps its own small pool; many stores are open at once while tests run side by side.
        MaxPoolSize = 20,
    }.ConnectionString;

    /// <summary>A new empty database (<paramref name="options"/>: what follows CREATE DATABASE name); its connection string.</summary>
    public string CreateDatabase(string options = "")
    {
        var name = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        using var connection = new NpgsqlConnection(AdminConnectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\" {options}", connection);
        cmd.ExecuteNonQuery();
        return Connection(name);
    }

    /// <summary>The bin dir of the newest PostgreSQL installed (/usr/lib/postgresql/N/bin).</summary>
    public static string BinDir()
    {
        var dirs = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Where(d => int.TryParse(Path.GetFileName(d), out _) && File.Exists(Path.Combine(d, "bin", "initdb")))
                .OrderByDescending(d => int.Parse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture))
                .ToList()
            : [];
        return dirs.Count > 0
            ? Path.Combine(dirs[0], "bin")
            : throw new InvalidOperationException(
                "prerequisite missing: PostgreSQL (no /usr/lib/postgresql/*/bin/initdb). Run scripts/test.sh, which installs the test dependencies (Debian package postgresql).");
    }

    private static PostgresCluster Start()
    {
        var bin = BinDir();
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        RemoveLeftovers(Path.Combine(bin, "pg_ctl"), runAs);
        var root = Directory.CreateTempSubdirectory("appliance-pg-").FullName;
        var cluster = new PostgresCluster(root, Path.Combine(bin, "pg_ctl"), runAs);
        var log = Path.Combine(root, "server.log");
        try
        {
            File.WriteAllText(Path.Combine(root, "owner.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(cluster.SocketDir);
            if (runAs is not null)
            {
                Run("chown", "-R", $"{runAs}:", root);
            }
            cluster.RunAsOwner(Path.Combine(bin, "initdb"), "-D", cluster.DataDir, "-U", Superuser, "-A", "trust", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync");
            // Throwaway data: no fsync. Only the unix socket in the temp dir: nothing else on the machine can connect.
            cluster.RunAsOwner(cluster._pgCtl, "-D", cluster.DataDir, "-l", log, "-w", "-t", "60", "-o",
                $"-k {cluster.SocketDir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                "start");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Stop();
            return cluster;
        }
        catch (Exception e)
        {
            var text = File.Exists(log) ? File.ReadAllText(log) : "";
            cluster.Stop();
            throw new InvalidOperationException($"could not start PostgreSQL for the tests: {e.Message}\n{text}", e);
        }
    }

    /// <summary>
    /// Clusters of earlier test runs whose test process is gone (killed before its exit handler ran): each is stopped
    /// through its own postmaster.pid (a server such a run started) and its dir removed.
    /// </summary>
    private static void RemoveLeftovers(string pgCtl, string? runAs)
    {
        foreach (var path in Directory.GetDirectories(System.IO.Path.GetTempPath(), "appliance-pg-*"))
        {
            var owner = System.IO.Path.Combine(path, "owner.pid");
            if (File.Exists(owner) && int.TryParse(File.ReadAllText(owner), out var pid) && Directory.Exists($"/proc/{pid}"))
            {
                continue; // another test run's, still running
            }
            new PostgresCluster(path, pgCtl, runAs).Stop();
        }
    }

    private void Stop()
    {
        if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
        {
            try
            {
                RunAsOwner(_pgCtl, "-D", DataDir, "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // Already gone: the directory goes anyway.
            }
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next run's RemoveLeftovers.
        }
    }

    private void RunAsOwner(string program, params string[] args)
    {
        if (_runAs is null)
        {
            Run(program, args);
        }
        else
        {
            Run("runuser", ["-u", _runAs, "--", program, .. args]);
        }
    }

    private static void Run(string program, params string[] args) =>
        ProcessRunner.RunAsync(program, args, timeout: TimeSpan.FromSeconds(90)).GetAwaiter().GetResult().EnsureSuccess(program + " " + string.Join(' ', args));
}
