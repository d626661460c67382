using Appliance.Server.Configuration;
using Appliance.Server.Store;

namespace Appliance.Server.Mqtt;

/// <summary>
/// Keeps a RabbitMQ cluster's users in step with the store through the management API: the server's own user, one
/// user per node (named by its id, tagged <see cref="NodeTag"/>, password = its join credential) with the
/// permissions of <see cref="MeshBrokerAcl.ForNode"/> mapped by <see cref="RabbitMqAcl"/>, and a policy that mirrors
/// each MQTT session queue on <see cref="RabbitMqSettings.SessionQueueNodes"/> nodes (two by default), so a persistent
/// session survives the loss of the node it lived on.
/// </summary>
public sealed class RabbitMqBrokerAccounts : IExternalBrokerAccounts
{
    public const string SecretFileName = "rabbitmq-server.secret";

    /// <summary>The tag of every user the server made for a node: reconcile removes only users carrying it.</summary>
    public const string NodeTag = "appliance-node";

    /// <summary>The policy that mirrors every MQTT session queue (classic mirroring: the MQTT plugin of 3.10 makes classic queues).</summary>
    public const string SessionPolicy = "appliance-mqtt-sessions";

    /// <summary>
    /// The session policy's definition: <paramref name="nodes"/> copies of each queue (ha-mode exactly; "all" made every
    /// connect build a mirror on every node of the cluster), mirrors filled in as soon as they start (a mirror added
    /// after a node died holds the session only once it is in step).
    /// </summary>
    public static IReadOnlyDictionary<string, object> SessionPolicyDefinition(int nodes) => new Dictionary<string, object>
    {
        ["ha-mode"] = "exactly",
        ["ha-params"] = nodes,
        ["ha-sync-mode"] = "automatic",
    };

    private readonly IApplianceStore _store;
    private readonly RabbitMqSettings _settings;
    private readonly IRabbitMqManagement _api;
    private readonly ILogger<RabbitMqBrokerAccounts> _logger;

    // One reconcile or removal at a time. Joins do not wait for it (or for each other): a reconcile lists the users
    // before it reads the nodes, and a join stores its node before it makes the user, so a user a reconcile sees
    // without a node is one whose node is gone, on this replica or another.
    private readonly SemaphoreSlim _gate = new(1, 1);

    public RabbitMqBrokerAccounts(IApplianceStore store, ServerOptions options, MqttSettings settings, IRabbitMqManagement api, ILogger<RabbitMqBrokerAccounts> logger)
    {
        _store = store;
        _settings = settings.RabbitMq ?? throw new InvalidOperationException("Mqtt:Broker is not rabbitmq");
        _api = api;
        _logger = logger;
        ServerPassword = BrokerSecret.LoadOrCreate(Path.Combine(options.DataDir, SecretFileName));
        ServerClientId = ReplicaClientId(_settings.User, Environment.MachineName, Path.GetFullPath(options.DataDir));
    }

    /// <summary>The server's client id: its user and a suffix of this replica's own, the same at every start (host and data dir).</summary>
    public string ServerClientId { get; }

    /// <summary><paramref name="user"/>-&lt;16 hex digits of the host and data dir&gt;: stable for one replica, distinct between two.</summary>
    public static string ReplicaClientId(string user, string host, string dataDir) =>
        user + "-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(host + "\n" + dataDir)))[..16];

    public string BrokerName => "RabbitMQ";

    public string ServerUser => _settings.User;

    public string ServerPassword { get; }

    /// <summary>
    /// Puts the session policy and the server's user, sets again every stored node's permissions that differ from its
    /// ACL now (it may have changed with this version, or been edited), removes node users whose node is gone, and
    /// warns about nodes that have no user (their credential cannot be rebuilt from the store's hash: they must rejoin).
    /// </summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var vhost = _settings.VirtualHost;
            await _api.PutQueuePolicyAsync(vhost, SessionPolicy, "^mqtt-subscription-", SessionPolicyDefinition(_settings.SessionQueueNodes), cancellationToken);
            await _api.PutUserAsync(ServerUser, ServerPassword, "", cancellationToken);
            await _api.PutPermissionsAsync(vhost, ServerUser, RabbitMqAcl.For(ServerUser, MeshBrokerAcl.ForServer(), replicas: true), cancellationToken);

            // Users first, then nodes (see _gate): a join running now is either in both or its user is not listed.
            var users = (await _api.ListUsersAsync(cancellationToken)).Where(u => u.Tags.Contains(NodeTag)).Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
            var nodes = await _store.ReadAsync(s => s.ListNodes(null).ToDictionary(n => n.Id, n => n.Network, StringComparer.Ordinal), cancellationToken);
            foreach (var gone in users.Where(u => !nodes.ContainsKey(u)))
            {
                _logger.LogInformation("rabbitmq: removing the user of node {Node}, which no longer exists", gone);
                await _api.DeleteUserAsync(gone, cancellationToken);
            }
            // Two calls read what every user holds; only what differs is put (two calls per node), so a start or a
            // removal at N=5000 is not 10,000 calls.
            var held = await _api.ListPermissionsAsync(vhost, cancellationToken);
            foreach (var (node, network) in nodes)
            {
                if (users.Contains(node))
                {
                    var wanted = ForNode(node, network);
                    if (!held.TryGetValue(node, out var has) || has != wanted)
                    {
                        await _api.PutPermissionsAsync(vhost, node, wanted, cancellationToken);
                    }
                }
                else
                {
                    // (Or its join is still making the user right now.)
                    _logger.LogWarning("rabbitmq: node {Node} has no user on the cluster; its credential cannot be rebuilt from the store's hash, so it must rejoin", node);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Makes the node's user with its permissions (two calls for a new user: <see cref="IRabbitMqManagement.PutUserWithPermissionsAsync"/>),
    /// concurrently with other joins; the node can log in when this returns.
    /// </summary>
    public Task NodeJoinedAsync(string nodeId, string network, string credential, CancellationToken cancellationToken) =>
        _api.PutUserWithPermissionsAsync(_settings.VirtualHost, nodeId, credential, NodeTag, ForNode(nodeId, network), cancellationToken);

    public async Task NodeRemovedAsync(string nodeId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Deleting the user also closes its open connections.
            await _api.DeleteUserAsync(nodeId, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
        // Nodes removed with their network (force delete) go too.
        await ReconcileAsync(cancellationToken);
    }

    private static RabbitMqPermissions ForNode(string nodeId, string network) => RabbitMqAcl.For(nodeId, MeshBrokerAcl.ForNode(nodeId, [network]));
}
