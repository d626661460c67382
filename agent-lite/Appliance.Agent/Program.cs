using Appliance.Agent;
using Appliance.Agent.Cli;
using Appliance.Agent.Commands;
using Appliance.Agent.State;

const string Usage = """
    usage: appliance-agent <command> [options]
      join   --token TOKEN [--interface NAME] [--state-dir DIR] [--hostname NAME] [--listen-port N]
             [--endpoint IP[:PORT]]... [--network NAME] [--server URL] [--force]
             --server: reach the token's server at this URL instead (the token's key and CA pin still apply)
      status [--json] [--state-dir DIR]
      pull   [--json] [--state-dir DIR]       fetch this node's desired state from the server
      leave  [--force] [--state-dir DIR] [--hosts-file PATH]   deregister and remove the interface, hosts entries, state
      run    [--state-dir DIR] [--hosts-file PATH] [--backend auto|kernel|userspace]
             [--firewall auto|nftables|iptables|iptables-legacy|iptables-nft|fw4] [--firewall-check SECONDS]
             [--state-check-after SECONDS] [--no-relay] [--no-punch] [--config PATH] [--led NAME]
             [--button auto|/dev/input/eventN|gpio:CHIP:LINE[:active-high]] [--button-key KEY]
             [--button-bias pull-up|pull-down|disabled|as-is] [--watchdog /dev/watchdog]
             [--watchdog-timeout SECONDS] [--wait-for-join] [--token-file PATH] [--display i2c-N[:ADDR]]
             follow the server's updates and keep WireGuard, addresses, routes, hosts, gateway roles and the
             access-policy filter in step; the firewall rules (gateway or filter) are read back every --firewall-check
             seconds (default 5, 0: never) and
             put back when a firewall reload or other software removed them; after --state-check-after seconds
             (default 600) connected with nothing newer, the state is checked over pinned HTTPS;
             --no-relay: never carry other nodes' traffic; --no-punch: no hole punching (peers behind NAT go by relay);
             status hardware (LED, button, watchdog) from the "hardware" section of --config (default
             /etc/appliance/agent.json) or the flags (a button on a bare GPIO line: gpio:N is line N of
             gpiochip0); --wait-for-join: not joined yet, wait (LED: waiting for a token) until appliance-firstboot has joined, and come back here after a factory reset; --display
             shows the status on an SSD1306 128x64 I2C display (e.g. i2c-1:0x3c; none there: one log line; or
             the "display" key of --config), and the button's short press turns its page
      led    STATE [--config PATH] [--led NAME]
             show one status pattern on the LED of the "hardware" section (or --led) and exit (the kernel keeps
             it blinking): booting, waiting-for-token, enrolling, connected, server-unreachable, error, identify,
             button-held, factory-reset-armed; no LED configured: a line says so, exit 0
      version
    """;

var values = new Dictionary<string, IReadOnlySet<string>>
{
    ["join"] = new HashSet<string> { "--token", "--interface", "--state-dir", "--hostname", "--listen-port", "--endpoint", "--network", "--server" },
    ["status"] = new HashSet<string> { "--state-dir" },
    ["pull"] = new HashSet<string> { "--state-dir" },
    ["run"] = new HashSet<string>
    {
        "--state-dir", "--hosts-file", "--backend", "--firewall", "--firewall-check", "--state-check-after",
        "--config", "--led", "--button", "--button-key", "--button-bias", "--watchdog", "--watchdog-timeout", "--token-file", "--display",
    },
    ["leave"] = new HashSet<string> { "--state-dir", "--hosts-file" },
    ["led"] = new HashSet<string> { "--state", "--config", "--led" },
    ["version"] = new HashSet<string>(),
};
var flags = new Dictionary<string, IReadOnlySet<string>>
{
    ["join"] = new HashSet<string> { "--force" },
    ["status"] = new HashSet<string> { "--json" },
    ["pull"] = new HashSet<string> { "--json" },
    ["leave"] = new HashSet<string> { "--force" },
    ["run"] = new HashSet<string> { "--wait-for-join", "--no-relay", "--no-punch" },
};

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
try
{
    // `led STATE`: the state is the command's one word without an option name.
    var cl = CommandLine.Parse(args is ["led", var word, ..] && !word.StartsWith('-') ? ["led", "--state", .. args[1..]] : args, values, flags);
    if (cl.Command == "help" || cl.Flag("--help"))
    {
        Console.WriteLine(Usage);
        return 0;
    }
    var stateDir = cl.Value("--state-dir") ?? Environment.GetEnvironmentVariable("APPLIANCE_STATE_DIR") ?? StateStore.DefaultDirectory;
    switch (cl.Command)
    {
        case "join":
            await JoinCommand.RunAsync(new JoinCommand.Options(
                cl.Value("--token") ?? Environment.GetEnvironmentVariable("APPLIANCE_TOKEN") ?? throw new AgentException("join needs --token TOKEN", 2),
                stateDir,
                cl.Value("--interface") ?? JoinCommand.DefaultInterface,
                cl.Value("--hostname"),
                cl.IntValue("--listen-port", 1, 65535),
                cl.Values("--endpoint"),
                cl.Value("--network"),
                cl.Flag("--force"),
                cl.Value("--server")), TimeProvider.System, Console.Out, cts.Token);
            return 0;
        case "status":
            var statusStore = new StateStore(stateDir);
            StatusCommand.Print(StatusCommand.Read(statusStore, await StatusCommand.TryReadDeviceAsync(statusStore, cts.Token)), cl.Flag("--json"), Console.Out);
            return 0;
        case "pull":
            await PullCommand.RunAsync(new StateStore(stateDir), cl.Flag("--json"), Console.Out, cts.Token);
            return 0;
        case "run":
            return await RunCommand.RunAsync(new StateStore(stateDir), cl.Value("--hosts-file") ?? "/etc/hosts", cl.Value("--backend") ?? "auto", cl.Value("--firewall"),
                TimeSpan.FromSeconds(cl.IntValue("--firewall-check", 0, 3600) ?? 5), cts.Token,
                cl.IntValue("--state-check-after", 1, 86_400) is { } after ? TimeSpan.FromSeconds(after) : null,
                RunHardwareOptions(cl, out var configFile), cl.Flag("--no-relay"), cl.Flag("--no-punch"),
                cl.Value("--display") is { } display ? Appliance.Hardware.Display.DisplayAddress.TryParse(display, out var at, out var bad) ? at : throw new AgentException("--display: " + bad, 2) : configFile.DisplayAt);
        case "leave":
            await LeaveCommand.RunAsync(new StateStore(stateDir), cl.Value("--hosts-file") ?? "/etc/hosts", cl.Flag("--force"), Console.Out, cts.Token);
            return 0;
        case "led":
            var ledState = Appliance.Agent.Commands.LedCommand.ParseState(cl.Value("--state"));
            var ledName = cl.Value("--led") ?? Appliance.Agent.Hardware.HardwareConfig.Load(cl.Value("--config") ?? Appliance.Agent.Hardware.HardwareConfig.DefaultPath).Led;
            if (ledName is not null)
            {
                _ = new Appliance.Agent.Hardware.HardwareConfig { Led = ledName }.Validated("--led");
            }
            return LedCommand.Run(ledState, ledName, LedCommand.OpenSysfs, Console.Out);
        case "version":
            Console.WriteLine(JoinCommand.AgentVersion);
            return 0;
        default:
            throw new AgentException($"unknown command '{cl.Command}'", 2);
    }
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    // SIGTERM or Ctrl-C, in whatever state the command was (connecting, applying, waiting): a clean stop.
    return 0;
}
catch (AgentException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    if (e.ExitCode == 2)
    {
        Console.Error.WriteLine(Usage);
    }
    return e.ExitCode;
}
catch (Exception e) when (e is IOException or System.Text.Json.JsonException or System.Security.Cryptography.CryptographicException or DllNotFoundException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}
catch (UnauthorizedAccessException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}

// The hardware section of the config file, each `run` flag replacing its key (the file's display: --display's default).
static RunCommand.RunHardware RunHardwareOptions(CommandLine cl, out Appliance.Agent.Hardware.AgentConfigFile configFile)
{
    var file = cl.Value("--config") ?? Appliance.Agent.Hardware.HardwareConfig.DefaultPath;
    configFile = Appliance.Agent.Hardware.AgentConfigFile.Load(file);
    var config = configFile.Hardware ?? new Appliance.Agent.Hardware.HardwareConfig();
    var button = cl.Value("--button");
    config = (config with
    {
        Led = cl.Value("--led") ?? config.Led,
        Button = button ?? config.Button,
        // A button given on the command line brings its own polarity (gpio:...:active-high), not the file's.
        ButtonActiveLow = button is null ? config.ButtonActiveLow : null,
        ButtonKey = cl.Value("--button-key") ?? config.ButtonKey,
        ButtonBias = cl.Value("--button-bias") ?? config.ButtonBias,
        Watchdog = cl.Value("--watchdog") ?? config.Watchdog,
        WatchdogTimeout = cl.IntValue("--watchdog-timeout", 1, 3600) ?? config.WatchdogTimeout,
    }).Validated("run");
    var waitForJoin = cl.Flag("--wait-for-join");
    return new RunCommand.RunHardware(config, waitForJoin, cl.Value("--token-file") ?? (waitForJoin ? RunCommand.DefaultTokenFile : null));
}
