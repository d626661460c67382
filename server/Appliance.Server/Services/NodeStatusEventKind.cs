namespace Appliance.Server.Services;

/// <summary>What happened to a node, as the console's live pages need to know it.</summary>
public enum NodeStatusEventKind
{
    /// <summary>It called in or reported: its last-seen time (and online state) moved.</summary>
    NodeSeen,
    /// <summary>It joined or one of its records (name, endpoints, roles) changed.</summary>
    NodeChanged,
    NodeRemoved,
    /// <summary>Events were missed or the network changed as a whole: reload the list.</summary>
    Resync,
}
