using System.Net;

namespace Appliance.TestSupport.Vm;

/// <summary>
/// A guest NIC on qemu's user-mode network (slirp) with <c>restrict=on</c>: the guest reaches nothing but the
/// forwards, each a guest address:port (in 10.0.2.0/24) connected to the same address:port where qemu runs
/// (<see cref="Namespace"/>, a network namespace the test made, or the host's own). Each guest connection gets its
/// own <c>socat</c> (a <c>tcp:</c> guestfwd target is one connection made at qemu's start, not one per connection).
/// </summary>
public sealed record QemuNetwork(string? Namespace, IReadOnlyList<IPEndPoint> GuestForwards)
{
    /// <summary>The guest's side of the user-mode network; forwards must be in it (and not its .2 gateway, .3 DNS or .15 guest).</summary>
    public static readonly IPNetwork GuestNetwork = IPNetwork.Parse("10.0.2.0/24");

    public IReadOnlyList<string> QemuArguments()
    {
        var netdev = "user,id=n0,restrict=on";
        foreach (var f in GuestForwards)
        {
            if (!GuestNetwork.Contains(f.Address) || f.Address.GetAddressBytes()[3] is 0 or 2 or 3 or 15 or 255)
            {
                throw new ArgumentException($"guest forward {f} is not a free address of {GuestNetwork}", nameof(GuestForwards));
            }
            netdev += $",guestfwd=tcp:{f}-cmd:socat - TCP:{f}";
        }
        return ["-netdev", netdev, "-device", "virtio-net-pci,netdev=n0"];
    }
}
