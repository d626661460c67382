namespace Appliance.Server.Domain;

/// <summary>Collects every field error of a request so the client learns all of them at once.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }
        list.Add(message);
    }

    /// <summary>Throws a <see cref="DomainException"/> of <paramref name="kind"/> naming every field collected, if any.</summary>
    public void ThrowIfAny(DomainErrorKind kind = DomainErrorKind.Invalid)
    {
        if (!Any)
        {
            return;
        }
        var errors = _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
        var detail = string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
        throw new DomainException(kind, detail, errors);
    }
}
