using Appliance.Contracts.Api;

namespace Appliance.Agent.State;

/// <summary>
/// What the agent keeps on the device after joining (state.json, mode 0600). Holds the WireGuard
/// private key and the node credential: never printed, never sent anywhere.
/// </summary>
public sealed record AgentState
{
    public int SchemaVersion { get; init; } = 1;
    public required string Server { get; init; }
    /// <summary>SHA-256 of the server's CA (null for a plain-http server).</summary>
    public string? CaFingerprint { get; init; }
    /// <summary>The server's CA certificate (PEM), fetched once at join and checked against the fingerprint.</summary>
    public string? CaPem { get; init; }
    public required string NodeId { get; init; }
    public required string Name { get; init; }
    public required string Credential { get; init; }
    public required string PrivateKey { get; init; }
    public required string PublicKey { get; init; }
    public required string Interface { get; init; }
    public string? Ipv4Address { get; init; }
    public string? Ipv6Address { get; init; }
    public int ListenPort { get; init; }
    public required NetworkSettingsDto Network { get; init; }
    /// <summary>The server's MQTT broker (mqtt:// or mqtts://), null when the server runs none.</summary>
    public string? MqttUrl { get; init; }
    /// <summary>Every broker of the server's broker cluster, <see cref="MqttUrl"/> first (null: that one only).</summary>
    public IReadOnlyList<string>? MqttUrls { get; init; }
    /// <summary>The server's Ed25519 public key (base64): only updates it signs are applied.</summary>
    public string? SigningKey { get; init; }
    /// <summary>Endpoints given with --endpoint at join: reported as they are instead of the discovered addresses.</summary>
    public IReadOnlyList<string>? PinnedEndpoints { get; init; }
    public DateTimeOffset JoinedAt { get; init; }
}
