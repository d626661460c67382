namespace Appliance.Netlink;

/// <summary>Native errno names for messages.</summary>
public static class ErrnoNames
{
    public static string Of(Errno errno) =>
        Enum.IsDefined(errno) ? errno.ToString() : "errno " + ((int)errno).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
