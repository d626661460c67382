namespace Appliance.Server.Domain;

/// <summary>Why the server's rules refuse a request; the API maps each kind to one HTTP status.</summary>
public enum DomainErrorKind
{
    /// <summary>The request is malformed or breaks a rule of its own fields (HTTP 400).</summary>
    Invalid,

    /// <summary>A record the request names does not exist (HTTP 404).</summary>
    NotFound,

    /// <summary>The request clashes with what is stored (a taken name, an overlapping range, records in the way; HTTP 409).</summary>
    Conflict,

    /// <summary>The caller's credential does not allow it (an unknown, expired or used-up enrollment key; HTTP 403).</summary>
    Forbidden,
}
