namespace Appliance.Netlink.Generic;

/// <summary>Resolves generic netlink family names over a <see cref="NetlinkClient"/> on a NETLINK_GENERIC socket.</summary>
public static class GenericNetlinkFamily
{
    /// <summary>Looks up a family id; false when the kernel does not know the family (ENOENT: module not loaded).</summary>
    public static bool TryResolve(NetlinkClient client, string name, out ushort familyId)
    {
        Span<byte> request = stackalloc byte[64];
        int n = GenericNetlinkCodec.GetFamily(request, name);
        ushort id = 0;
        try
        {
            client.Dump(request[..n], "CTRL_CMD_GETFAMILY " + name, (in NetlinkMessage m) => id = GenericNetlinkCodec.ParseFamilyId(m));
        }
        catch (NetlinkException e) when (e.Errno == Errno.ENOENT)
        {
            familyId = 0;
            return false;
        }
        familyId = id;
        return id != 0;
    }
}
