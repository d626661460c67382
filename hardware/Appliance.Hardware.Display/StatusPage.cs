namespace Appliance.Hardware.Display;

/// <summary>The pages the display cycles through; <see cref="Gateway"/> only on an ingress gateway.</summary>
public enum StatusPage
{
    Node,
    Mesh,
    Gateway,
    Uptime,
}
