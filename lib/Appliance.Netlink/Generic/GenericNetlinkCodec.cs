namespace Appliance.Netlink.Generic;

/// <summary>Generic netlink controller messages (linux/genetlink.h): resolving a family name to its id.</summary>
public static class GenericNetlinkCodec
{
    public const ushort GENL_ID_CTRL = 0x10;
    public const byte CTRL_CMD_GETFAMILY = 3;
    public const ushort CTRL_ATTR_FAMILY_ID = 1;
    public const ushort CTRL_ATTR_FAMILY_NAME = 2;
    public const int GenericHeaderSize = 4;

    /// <summary>CTRL_CMD_GETFAMILY for <paramref name="name"/> (what <c>genl ctrl get name NAME</c> sends).</summary>
    public static int GetFamily(Span<byte> dst, string name)
    {
        var w = new NetlinkWriter(dst);
        int m = w.BeginMessage(GENL_ID_CTRL, NetlinkMessageFlags.Request);
        w.WriteGenericHeader(CTRL_CMD_GETFAMILY, 1);
        w.WriteString(CTRL_ATTR_FAMILY_NAME, name);
        w.EndMessage(m);
        return w.Length;
    }

    /// <summary>The family id in a CTRL_CMD_NEWFAMILY reply.</summary>
    public static ushort ParseFamilyId(in NetlinkMessage message)
    {
        var attrs = message.Attributes(GenericHeaderSize);
        while (attrs.TryRead(out var a))
        {
            if (a.Type == CTRL_ATTR_FAMILY_ID)
            {
                return a.GetU16();
            }
        }
        throw new NetlinkProtocolException("CTRL_CMD_NEWFAMILY reply without CTRL_ATTR_FAMILY_ID");
    }
}
