namespace Appliance.Contracts.Api;

/// <summary>POST /api/v1/join: what a device tells the server about itself. Only the public key, never the private one.</summary>
public sealed record JoinRequest
{
    public string? Key { get; init; }
    public string? PublicKey { get; init; }
    public string? Hostname { get; init; }
    public int? ListenPort { get; init; }
    public IReadOnlyList<string>? Endpoints { get; init; }
    public string? Os { get; init; }
    public string? Version { get; init; }
    /// <summary>Which of the key's networks to join; absent means the key's first network.</summary>
    public string? Network { get; init; }
}

/// <summary>The network settings a node needs to configure its interface.</summary>
public sealed record NetworkSettingsDto(string Name, string Ipv4Cidr, string? Ipv6Cidr, int ListenPort, int Mtu, int Keepalive);

/// <summary>
/// The answer to a join: the node's identity, its credential for later calls (shown once; the server keeps a hash),
/// its addresses in CIDR form ("10.10.0.2/24"), the network settings, and where the server's MQTT broker is
/// (mqtt:// or mqtts://, the latter with the same CA as the API; null when the server runs no broker), and the
/// server's Ed25519 public key (base64) that signs every update it pushes. With a broker cluster, <c>MqttUrls</c> lists
/// every broker devices may use, <c>MqttUrl</c> first (an agent fails over to the next when one is gone).
/// </summary>
public sealed record JoinResponse(
    string NodeId,
    string Name,
    string Credential,
    string? Ipv4Address,
    string? Ipv6Address,
    int ListenPort,
    NetworkSettingsDto Network,
    string? MqttUrl = null,
    string? SigningKey = null,
    IReadOnlyList<string>? MqttUrls = null);
