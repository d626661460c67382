using System.Net;

namespace Appliance.Contracts;

/// <summary>Prefix arithmetic on addresses (pure).</summary>
public static class IpPrefix
{
    /// <summary>The address with every bit after the first <paramref name="prefixLength"/> cleared.</summary>
    public static IPAddress Mask(IPAddress address, int prefixLength)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefixLength - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - keep));
        }
        return new IPAddress(bytes);
    }

    /// <summary>The subnet an interface address belongs to: 10.10.0.2/24 → 10.10.0.0/24.</summary>
    public static IPNetwork Subnet(IPAddress address, int prefixLength) => new(Mask(address, prefixLength), prefixLength);
}
