using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Broker;

/// <summary>One listening socket: plain TCP, or TLS when a certificate (with private key) is given. Port 0 picks a free port.</summary>
public sealed record MqttBrokerListenerOptions(IPEndPoint EndPoint, X509Certificate2? Certificate = null);
