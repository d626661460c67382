using System.Reflection;
using System.Runtime.InteropServices;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;

namespace Appliance.Agent.Commands;

/// <summary>
/// `appliance-agent join`: checks the token, pins the server's CA, makes the WireGuard key pair here
/// (the private key never leaves the device), registers, and saves the state atomically.
/// </summary>
public static class JoinCommand
{
    public const string DefaultInterface = "appliance0";

    public sealed record Options(
        string Token,
        string StateDir,
        string Interface,
        string? Hostname,
        int? ListenPort,
        IReadOnlyList<string> Endpoints,
        string? Network,
        bool Force,
        string? Server = null);

    public static async Task<AgentState> RunAsync(Options options, TimeProvider clock, TextWriter output, CancellationToken ct)
    {
        JoinToken token;
        try
        {
            token = JoinToken.Decode(options.Token);
        }
        catch (JoinTokenException e)
        {
            throw new AgentException("invalid join token: " + e.Message, 2);
        }
        if (options.Server is { } server)
        {
            // The server as this device reaches it (another address or name of the same server, e.g. set on a flashed
            // image's boot partition); the key and the CA pin stay the token's, so the pin still proves the server.
            if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != "https" && uri.Scheme != "http") || server.Length > 2048)
            {
                throw new AgentException($"--server '{server}' is not an http:// or https:// URL", 2);
            }
            if (uri.Scheme == "http" && token.Fingerprint is not null)
            {
                throw new AgentException($"--server '{server}' is plain http, but the token pins the server's CA: use its https:// URL", 2);
            }
            token = token with { Server = server.TrimEnd('/') };
        }
        if (token.IsExpired(clock.GetUtcNow()))
        {
            throw new AgentException($"the join token expired at {token.ExpiresAt:O}; ask for a new one", 2);
        }
        if (!IsValidInterfaceName(options.Interface))
        {
            throw new AgentException($"--interface '{options.Interface}' is not a valid interface name (1-15 characters, no '/', ':' or spaces)", 2);
        }
        var store = new StateStore(options.StateDir);
        if (store.LoadState() is { } existing && !options.Force)
        {
            throw new AgentException(
                $"already joined network '{existing.Network.Name}' as '{existing.Name}' (node {existing.NodeId}); pass --force to join again with a new identity");
        }

        // Registering uses up a key and creates a node: make sure the result can be kept before asking for it.
        store.EnsureWritable();

        System.Security.Cryptography.X509Certificates.X509Certificate2? ca = null;
        if (token.Fingerprint is not null)
        {
            // The pinned CA is all this process will trust (SystemTrustStore says why the system's store is kept out).
            Diagnostics.SystemTrustStore.Forgo();
            ca = await ServerApi.FetchPinnedCaAsync(token.Server, token.Fingerprint, ct);
        }
        using (ca)
        {
            var keys = X25519.GenerateKeyPair();
            using var api = new ServerApi(token.Server, ca);
            var response = await api.JoinAsync(new JoinRequest
            {
                Key = token.Key,
                PublicKey = keys.PublicKey.ToString(),
                Hostname = options.Hostname ?? Environment.MachineName,
                ListenPort = options.ListenPort,
                Endpoints = options.Endpoints.Count > 0 ? options.Endpoints : LocalAddresses.DiscoverOnce(options.Interface),
                Os = Truncate(RuntimeInformation.OSDescription, 64),
                Version = AgentVersion,
                Network = options.Network,
            }, ct);

            // A new membership starts from nothing: the desired state of an earlier one (its peers, version and
            // lineage) must not be restored by `run` or shown by `status` under the new identity.
            store.DeleteDesired();
            var state = new AgentState
            {
                Server = token.Server,
                CaFingerprint = token.Fingerprint,
                CaPem = ca?.ExportCertificatePem(),
                NodeId = response.NodeId,
                Name = response.Name,
                Credential = response.Credential,
                PrivateKey = keys.PrivateKey.ToString(),
                PublicKey = keys.PublicKey.ToString(),
                Interface = options.Interface,
                Ipv4Address = response.Ipv4Address,
                Ipv6Address = response.Ipv6Address,
                ListenPort = response.ListenPort,
                Network = response.Network,
                MqttUrl = response.MqttUrl,
                MqttUrls = response.MqttUrls is { Count: > 1 } urls ? urls : null,
                SigningKey = response.SigningKey,
                PinnedEndpoints = options.Endpoints.Count > 0 ? options.Endpoints : null,
                JoinedAt = clock.GetUtcNow(),
            };
            store.SaveState(state);
            output.WriteLine($"joined network '{response.Network.Name}' as '{response.Name}' ({string.Join(", ", new[] { response.Ipv4Address, response.Ipv6Address }.OfType<string>())})");
            output.WriteLine($"node id {response.NodeId}; public key {keys.PublicKey}; state saved to {store.StatePath}");
            return state;
        }
    }

    public static string AgentVersion { get; } =
        typeof(JoinCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static bool IsValidInterfaceName(string name) =>
        name.Length is > 0 and <= 15 && !name.Any(c => c is '/' or ':' or ' ' or '\t' or '\n') && name is not "." and not "..";

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
