using System.Diagnostics;
using Appliance.Broker.Mosquitto;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Transport;
using Appliance.Server.Configuration;
using Appliance.Server.Store;

namespace Appliance.Server.Mqtt;

/// <summary>
/// Keeps an external Mosquitto's accounts in step with the store through its dynamic-security plugin, as an admin
/// client: the server's own login, and per node a login (its join credential) and a role of the same name holding
/// <see cref="MeshBrokerAcl.ForNode"/> (the embedded broker's policy). A join or a removal is one message of two
/// commands, whatever the number of nodes; only the start-up reconcile reads every account.
/// </summary>
public sealed class MosquittoBrokerAccounts : IExternalBrokerAccounts, IAsyncDisposable
{
    public const string SecretFileName = "mosquitto-server.secret";

    /// <summary>The text name of every login and role made for a node: the reconcile deletes only those.</summary>
    public const string NodeMarker = "appliance-node";

    /// <summary>How long the start-up reconcile keeps trying to reach Mosquitto.</summary>
    public static readonly TimeSpan StartWait = TimeSpan.FromSeconds(60);

    private readonly IApplianceStore _store;
    private readonly MosquittoSettings _settings;
    private readonly ILogger<MosquittoBrokerAccounts> _logger;
    private readonly MosquittoDynSecClient _admin;

    public MosquittoBrokerAccounts(IApplianceStore store, ServerOptions options, MqttSettings settings, ILogger<MosquittoBrokerAccounts> logger, IMqttClientFactory? clients = null)
    {
        _store = store;
        _settings = settings.Mosquitto ?? throw new InvalidOperationException("Mqtt:Broker is not mosquitto");
        _logger = logger;
        var url = _settings.Url;
        _admin = new MosquittoDynSecClient(new MqttClientOptions
        {
            Host = url.Host.Trim('[', ']'),
            Port = url.Port,
            Tls = url.Scheme == "mqtts"
                ? new MqttTlsOptions { TrustedRoots = _settings.CaFile is { } ca ? MqttSettings.LoadCaFile(ca) : null }
                : null,
            ClientId = _settings.AdminUser,
            UserName = _settings.AdminUser,
            Password = _settings.AdminPassword,
            CleanSession = true,
            // Reconnected per command when needed: an answer never goes to a connection made after its question.
            AutoReconnect = false,
            MaxPacketSize = MosquittoDynSecCodec.MaxResponseBytes + 1024,
        }, clients);
        ServerPassword = BrokerSecret.LoadOrCreate(Path.Combine(options.DataDir, SecretFileName));
    }

    public string BrokerName => "Mosquitto";

    public string ServerUser => _settings.User;

    /// <summary>The server's own password (made on first start, kept 0600 in the data dir).</summary>
    public string ServerPassword { get; }

    /// <summary>
    /// Brings the plugin's accounts in line with the store: the server's login and role, every node's role ACL
    /// rebuilt from the current policy, logins of nodes that are gone deleted, and a warning for nodes with no login
    /// (they must rejoin). Waits up to <see cref="StartWait"/> for Mosquitto.
    /// </summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        List<MosquittoDynSecClientInfo> clients;
        for (var delay = TimeSpan.FromMilliseconds(200); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks)))
        {
            try
            {
                clients = await _admin.ListClientsAsync(cancellationToken);
                break;
            }
            catch (MosquittoDynSecException e) when (watch.Elapsed < StartWait && e.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException)
            {
                // Not reachable yet (starting, restarting). A refused login, no plugin or no admin role is final.
                _logger.LogDebug("mosquitto: not reachable yet ({Error}); trying again", e.Message);
                await Task.Delay(delay, cancellationToken);
            }
        }
        var roles = await _admin.ListRolesAsync(cancellationToken);
        var accounts = await _store.ReadAsync(
            s => s.ListNodes(null).ToDictionary(n => n.Id, n => MeshBrokerAcl.ForNode(n.Id, [n.Network]), StringComparer.Ordinal), cancellationToken);
        var plan = MosquittoAccountPlan.Reconcile(clients, roles, accounts, NodeMarker, ServerUser, ServerPassword, MeshBrokerAcl.ForServer());
        foreach (var gone in plan.Removed)
        {
            _logger.LogInformation("mosquitto: removing the login of node {Node}, which no longer exists", gone);
        }
        foreach (var missing in plan.NodesWithoutLogin)
        {
            _logger.LogWarning("mosquitto: node {Node} has no login; its credential cannot be rebuilt from the store's hash, so it must rejoin", missing);
        }
        if (plan.RolesRewritten.Count > 0)
        {
            _logger.LogInformation("mosquitto: set the ACLs of {Count} roles again", plan.RolesRewritten.Count);
        }
        await _admin.ExecuteAsync(plan.Commands, tolerate: null, cancellationToken);
    }

    public Task NodeJoinedAsync(string nodeId, string network, string credential, CancellationToken cancellationToken)
    {
        var acl = MosquittoDynSecAcl.ForRole(MeshBrokerAcl.ForNode(nodeId, [network]));
        // Node ids are new at every join, so both exist only if this very join was sent twice: then the role's ACL
        // and the password are set again instead.
        return CreateOrUpdateAsync(nodeId, credential, acl, cancellationToken);
    }

    private async Task CreateOrUpdateAsync(string nodeId, string credential, IReadOnlyList<MosquittoAclEntry> acl, CancellationToken cancellationToken)
    {
        var create = new[]
        {
            MosquittoDynSecCommands.CreateRole(nodeId, acl, NodeMarker),
            MosquittoDynSecCommands.CreateClient(nodeId, credential, nodeId, NodeMarker),
        };
        var answers = await _admin.SendAsync(create, cancellationToken);
        var fixes = new List<MosquittoDynSecCommand>();
        if (answers[0].Error == "Role already exists")
        {
            fixes.Add(MosquittoDynSecCommands.ModifyRole(nodeId, acl));
        }
        else if (!answers[0].Succeeded)
        {
            throw new MosquittoDynSecException($"Mosquitto's dynamic-security plugin refused {create[0].Describe()}: {answers[0].Error}");
        }
        if (answers[1].Error == "Client already exists")
        {
            fixes.Add(MosquittoDynSecCommands.SetClientPassword(nodeId, credential));
            fixes.Add(MosquittoDynSecCommands.SetClientRoles(nodeId, nodeId));
        }
        else if (!answers[1].Succeeded)
        {
            throw new MosquittoDynSecException($"Mosquitto's dynamic-security plugin refused {create[1].Describe()}: {answers[1].Error}");
        }
        if (fixes.Count > 0)
        {
            await _admin.ExecuteAsync(fixes, tolerate: null, cancellationToken);
        }
    }

    /// <summary>Deletes the node's login (the plugin disconnects it if connected) and its role; absent ones are fine.</summary>
    public Task NodeRemovedAsync(string nodeId, CancellationToken cancellationToken) =>
        _admin.ExecuteAsync(
            [MosquittoDynSecCommands.DeleteClient(nodeId), MosquittoDynSecCommands.DeleteRole(nodeId)],
            a => a.Error is "Client not found" or "Role not found",
            cancellationToken);

    public ValueTask DisposeAsync() => _admin.DisposeAsync();
}
