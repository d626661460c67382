using Appliance.Broker;
using Appliance.Broker.Mosquitto;
using Appliance.Contracts;
using Appliance.Server.Configuration;
using Appliance.Server.Security;
using Appliance.Server.Store;

namespace Appliance.Server.Mqtt;

/// <summary>
/// Keeps an external Mosquitto's password and ACL files in step with the store: the server's own account, and one
/// account per node with <see cref="MeshBrokerAcl.ForNode"/> (the embedded broker's policy). Files are written
/// atomically and Mosquitto is sent SIGHUP. If only the signal fails the files are still right, so that is a warning.
/// </summary>
public sealed class MosquittoBrokerAccounts : IExternalBrokerAccounts
{
    public const string SecretFileName = "mosquitto-server.secret";

    private readonly IApplianceStore _store;
    private readonly MosquittoSettings _settings;
    private readonly ILogger<MosquittoBrokerAccounts> _logger;
    private readonly MosquittoProvisioner _provisioner;

    // One change at a time: a reconcile reads the store and the accounts and must not interleave with a join.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _loaded;

    public MosquittoBrokerAccounts(IApplianceStore store, ServerOptions options, MqttSettings settings, ILogger<MosquittoBrokerAccounts> logger)
    {
        _store = store;
        _settings = settings.Mosquitto ?? throw new InvalidOperationException("Mqtt:Broker is not mosquitto");
        _logger = logger;
        _provisioner = new MosquittoProvisioner(new MosquittoProvisionerOptions
        {
            PasswordFilePath = _settings.PasswordFile,
            AclFilePath = _settings.AclFile,
            PidFilePath = _settings.PidFile,
            ProcessId = _settings.Pid,
        });
        ServerPassword = BrokerSecret.LoadOrCreate(Path.Combine(options.DataDir, SecretFileName));
    }

    public string BrokerName => "Mosquitto";

    /// <summary>The server's own account name.</summary>
    public string ServerUser => _settings.User;

    /// <summary>The server's own password (made on first start, kept 0600 in the data dir).</summary>
    public string ServerPassword { get; }

    /// <summary>The account names in the files now (for tests and diagnostics).</summary>
    public IReadOnlyCollection<string> UserNames => _provisioner.UserNames;

    /// <summary>
    /// Brings the files in line with the store: keeps the server's account and every node's hash, rebuilds the
    /// ACLs, drops accounts of nodes that are gone, and warns about nodes that have no login (they must rejoin).
    /// </summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EnsureLoadedAsync(cancellationToken);
            var acls = await _store.ReadAsync(
                s => s.ListNodes(null).ToDictionary(n => n.Id, n => MeshBrokerAcl.ForNode(n.Id, [n.Network]), StringComparer.Ordinal), cancellationToken);
            var plan = MosquittoAccountPlan.Reconcile(_provisioner.Users, acls, ServerUser, ServerPassword, MeshBrokerAcl.ForServer());
            foreach (var gone in plan.Removed)
            {
                _logger.LogInformation("mosquitto: removing the login of node {Node}, which no longer exists", gone);
            }
            foreach (var missing in plan.NodesWithoutLogin)
            {
                _logger.LogWarning("mosquitto: node {Node} has no login in {File}; its credential cannot be rebuilt from the store's hash, so it must rejoin", missing, _settings.PasswordFile);
            }
            await ApplyAsync(() => _provisioner.ReplaceAllAsync(plan.Users, cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task NodeJoinedAsync(string nodeId, string network, string credential, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Never write the files from an empty account list: that would log out every other node.
            await EnsureLoadedAsync(cancellationToken);
            await ApplyAsync(() => _provisioner.SetUserAsync(nodeId, credential, MeshBrokerAcl.ForNode(nodeId, [network]), cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task NodeRemovedAsync(string nodeId, CancellationToken cancellationToken)
    {
        // A full reconcile, not just this node: nodes removed with their network (force delete) go too.
        await ReconcileAsync(cancellationToken);
    }

    private async Task EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            await _provisioner.LoadAsync(cancellationToken);
            _loaded = true;
        }
    }

    private async Task ApplyAsync(Func<Task> change)
    {
        try
        {
            await change();
        }
        catch (MosquittoReloadException e)
        {
            _logger.LogWarning("mosquitto: accounts written but not reloaded ({Error}); Mosquitto applies them on its next start or SIGHUP", e.Message);
        }
    }
}
