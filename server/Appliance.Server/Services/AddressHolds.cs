using System.Net;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>Holds the addresses of a deleted node or ext client back from new ones until the grace period ends.</summary>
internal static class AddressHolds
{
    public static void Hold(IStoreSession s, string network, IEnumerable<IPAddress?> addresses, DateTimeOffset until) =>
        s.HoldAddresses(network, addresses.OfType<IPAddress>(), until);
}
