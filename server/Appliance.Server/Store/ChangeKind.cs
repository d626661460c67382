namespace Appliance.Server.Store;

/// <summary>The kind of record a write changed that members of a network must be told about.</summary>
public enum ChangeKind
{
    /// <summary>The network's own settings (ranges, listen port, MTU, keepalive), or the network itself (created or deleted).</summary>
    Network,

    /// <summary>A node was added, changed or removed (id: the node).</summary>
    Node,

    /// <summary>A node's ingress role was set or removed (id: the node).</summary>
    Ingress,

    /// <summary>A node's egress role was set or removed (id: the node).</summary>
    Egress,

    /// <summary>An ext client was added, changed (enabled, expiry published) or removed (id: the client).</summary>
    ExtClient,

    /// <summary>The network's custom DNS entries (id: empty; the whole list is in the change set).</summary>
    DnsEntries,

    /// <summary>The network's access policy was set or removed (id: empty; the record is in the change set).</summary>
    Policy,
}
