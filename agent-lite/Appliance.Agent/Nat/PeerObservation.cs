using System.Net;

namespace Appliance.Agent.Nat;

/// <summary>One peer as the WireGuard device has it now: last handshake (null: never), received bytes, current endpoint.</summary>
public sealed record PeerObservation(DateTimeOffset? LastHandshake, ulong RxBytes, IPEndPoint? Endpoint);
