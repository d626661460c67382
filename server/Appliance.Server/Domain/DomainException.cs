namespace Appliance.Server.Domain;

/// <summary>
/// A request the server's rules refuse: its <see cref="Kind"/>, a message for people, and <see cref="Errors"/> naming the
/// bad fields (field → messages) when the refusal is about fields. Thrown by the services; the API turns it into
/// problem+json.
/// </summary>
public sealed class DomainException(DomainErrorKind kind, string message, IReadOnlyDictionary<string, string[]>? errors = null)
    : Exception(message)
{
    public DomainErrorKind Kind { get; } = kind;

    public IReadOnlyDictionary<string, string[]>? Errors { get; } = errors;

    public static DomainException Invalid(string field, string message) =>
        new(DomainErrorKind.Invalid, $"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] });

    public static DomainException Conflict(string field, string message) =>
        new(DomainErrorKind.Conflict, $"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] });

    public static DomainException Conflict(string message) => new(DomainErrorKind.Conflict, message);

    public static DomainException NotFound(string what) => new(DomainErrorKind.NotFound, what + " not found");

    public static DomainException Forbidden(string message) => new(DomainErrorKind.Forbidden, message);
}
