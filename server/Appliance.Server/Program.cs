using System.CommandLine;
using Appliance.Server.Cli;
using Appliance.Server.Hosting;

// appliance-server [serve] [--data-dir DIR] [--urls URLS] [--config FILE] [--public-url URL]
// appliance-server network|key|node ...   (admin CLI, talks to the REST API)
var dataDir = new Option<string?>("--data-dir") { Description = "data directory (default ./appliance-data)", Recursive = true };
var urls = new Option<string?>("--urls") { Description = "listen URLs, ';'-separated (default https://0.0.0.0:8443; http:// only when asked for)" };
var config = new Option<string?>("--config") { Description = "JSON config file (keys: DataDir, Urls, PublicUrl, AddressHoldSeconds)" };
var publicUrl = new Option<string?>("--public-url") { Description = "URL devices use to reach this server (default: derived from --urls)" };
var store = new Option<string?>("--store") { Description = "store engine: sqlite (default, in the data dir) or postgres (with Store:ConnectionString / APPLIANCE_STORE__CONNECTIONSTRING)" };
var mqttUrl = new Option<string?>("--mqtt-url") { Description = "embedded MQTT broker listen URL (default mqtts://<api host>:8883)" };

var root = new RootCommand("Appliance coordination server. With no command it serves (same as 'serve').")
{
    TreatUnmatchedTokensAsErrors = false,
};
root.Options.Add(dataDir);
var serve = new Command("serve", "run the coordination server") { urls, config, publicUrl, mqttUrl, store };
root.Subcommands.Add(serve);
foreach (var command in AdminCommands.Create(dataDir))
{
    root.Subcommands.Add(command);
}
root.Subcommands.Add(MigrateCommand.Create(dataDir));

async Task<int> Serve(ParseResult pr, CancellationToken ct)
{
    // Host-level "--key=value" arguments (as the ASP.NET test host passes them) go to the web host;
    // anything else unrecognised is a typo.
    var passThrough = pr.UnmatchedTokens.ToArray();
    var unknown = passThrough.FirstOrDefault(t => !(t.StartsWith("--", StringComparison.Ordinal) && t.Contains('=', StringComparison.Ordinal)));
    if (unknown is not null)
    {
        Console.Error.WriteLine($"error: unknown command or argument '{unknown}'; see appliance-server --help");
        return 2;
    }
    var overrides = new Dictionary<string, string?>
    {
        ["DataDir"] = pr.GetValue(dataDir),
        ["urls"] = pr.GetValue(urls),
        ["PublicUrl"] = pr.GetValue(publicUrl),
        ["Config"] = pr.GetValue(config),
        ["Mqtt:Url"] = pr.GetValue(mqttUrl),
        ["Store:Kind"] = pr.GetValue(store),
    };
    // One malloc arena per core instead of glibc's eight: the broker's TLS connections allocate from every thread-pool
    // thread, and each arena keeps its own freed memory (issue #5: server RSS with 5000 connected nodes). Only the
    // serving process needs it, set before its thread pool grows.
    Appliance.Broker.NativeHeap.LimitArenas(Math.Max(2, Environment.ProcessorCount));
    try
    {
        var app = ServerApp.Build(passThrough, overrides);
        ServerApp.Initialize(app);
        await app.RunAsync(ct);
        return 0;
    }
    catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or FormatException
        or System.Security.Cryptography.CryptographicException or System.Data.Common.DbException)
    {
        Console.Error.WriteLine("fatal: " + e.Message);
        return 1;
    }
}

root.SetAction(Serve);
serve.SetAction(Serve);
return await root.Parse(args).InvokeAsync();

/// <summary>The entry point type, named for the in-process test host.</summary>
public partial class Program;
