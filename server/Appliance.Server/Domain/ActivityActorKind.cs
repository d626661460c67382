namespace Appliance.Server.Domain;

/// <summary>Who made a change the activity log records.</summary>
public enum ActivityActorKind
{
    /// <summary>A web console account (the actor is its name).</summary>
    Console,

    /// <summary>The admin token over the REST API (the actor names the client when it says, e.g. curl).</summary>
    Token,

    /// <summary>The admin CLI: over the REST API with the admin token, or on the server's own data dir (the actor is the OS user).</summary>
    Cli,

    /// <summary>A node: its join, its own requests and reports (the actor is the node's name or id).</summary>
    Node,

    /// <summary>The server itself: expiry, housekeeping.</summary>
    System,
}
