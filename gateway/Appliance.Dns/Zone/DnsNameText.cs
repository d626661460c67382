namespace Appliance.Dns.Zone;

internal static class DnsNameText
{
    public static string Normalize(string name) => Wire.DnsName.Normalize(name.Trim());

    public static string Join(string relative, string origin) => origin == "." ? Normalize(relative) : Normalize(relative) + "." + origin;
}
