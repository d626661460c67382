using System.Net;
using Appliance.Contracts;

namespace Appliance.WireGuard;

/// <summary>
/// Pure policy: the smallest plan that turns the current device into the desired one. Removed peers get
/// <c>remove</c>; new peers are added whole; changed peers are updated with UPDATE_ONLY and only the fields
/// that differ; allowed IPs are appended when the new set only grows, replaced otherwise. Unchanged input
/// gives <see cref="WgDevicePlan.Empty"/>.
/// </summary>
public static class WgReconciler
{
    public static WgDevicePlan Diff(WgDevice current, WgDeviceConfig desired)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(desired);

        var currentPeers = new Dictionary<WgKey, WgPeer>(current.Peers.Count);
        foreach (var p in current.Peers)
        {
            currentPeers[p.PublicKey] = p;
        }

        var changes = new List<WgPeerChange>();
        var wanted = new HashSet<WgKey>(desired.Peers.Count);
        var additions = new List<WgPeerChange>();
        foreach (var d in desired.Peers)
        {
            if (!wanted.Add(d.PublicKey))
            {
                throw new WgPlanValidationException($"peer {d.PublicKey} appears twice in the desired configuration");
            }
            if (!currentPeers.TryGetValue(d.PublicKey, out var c))
            {
                additions.Add(new WgPeerChange(d.PublicKey)
                {
                    PresharedKey = d.PresharedKey is { IsZero: false } psk ? psk : null,
                    Endpoint = d.Endpoint,
                    PersistentKeepalive = d.PersistentKeepalive != 0 ? d.PersistentKeepalive : null,
                    AllowedIPs = d.AllowedIPs,
                });
                continue;
            }
            var change = PeerDiff(c, d);
            if (change is not null)
            {
                changes.Add(change);
            }
        }

        // Removals first, so allowed IPs they held are free before other peers claim them.
        var removals = new List<WgPeerChange>();
        foreach (var c in current.Peers)
        {
            if (!wanted.Contains(c.PublicKey))
            {
                removals.Add(new WgPeerChange(c.PublicKey) { Remove = true });
            }
        }

        var plan = new WgDevicePlan
        {
            PrivateKey = desired.PrivateKey != current.PrivateKey ? desired.PrivateKey : null,
            ListenPort = desired.ListenPort is { } port && port != current.ListenPort && port != 0 ? port : null,
            FwMark = desired.FwMark is { } mark && mark != current.FwMark ? mark : null,
            Peers = [.. removals, .. changes, .. additions],
        };
        return plan.IsEmpty ? WgDevicePlan.Empty : plan;
    }

    private static WgPeerChange? PeerDiff(WgPeer current, WgPeerConfig desired)
    {
        var desiredPsk = desired.PresharedKey ?? default;
        WgKey? psk = desiredPsk != current.PresharedKey ? desiredPsk : null;
        IPEndPoint? endpoint = desired.Endpoint is not null && !desired.Endpoint.Equals(current.Endpoint) ? desired.Endpoint : null;
        int? keepalive = desired.PersistentKeepalive != current.PersistentKeepalive ? desired.PersistentKeepalive : null;

        var have = new HashSet<IPNetwork>(current.AllowedIPs);
        var want = new HashSet<IPNetwork>(desired.AllowedIPs);
        bool replace = false;
        IReadOnlyList<IPNetwork> allowed = [];
        if (!have.SetEquals(want))
        {
            if (have.IsSubsetOf(want))
            {
                var added = new List<IPNetwork>();
                foreach (var ip in desired.AllowedIPs)
                {
                    if (!have.Contains(ip))
                    {
                        added.Add(ip);
                    }
                }
                allowed = added;
            }
            else
            {
                replace = true;
                allowed = desired.AllowedIPs;
            }
        }

        if (psk is null && endpoint is null && keepalive is null && !replace && allowed.Count == 0)
        {
            return null;
        }
        return new WgPeerChange(current.PublicKey)
        {
            UpdateOnly = true,
            PresharedKey = psk,
            Endpoint = endpoint,
            PersistentKeepalive = keepalive,
            ReplaceAllowedIPs = replace,
            AllowedIPs = allowed,
        };
    }
}
