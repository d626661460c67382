using Appliance.Contracts;
using Appliance.Server.Domain;
using Appliance.Server.Services.Validation;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>
/// Reads the activity log in pages, newest first. The log is written by the store as each change commits
/// (<see cref="ActivityScope"/> names the actor); here it is only read.
/// </summary>
public sealed class ActivityService(IApplianceStore store)
{
    public const int DefaultPage = 50;

    /// <summary>
    /// Entries of <paramref name="network"/> (every network's and the server-wide ones when null) older than the
    /// entry <paramref name="before"/>, at most <paramref name="limit"/> (1-<see cref="ActivityLog.MaxPage"/>). A deleted
    /// network's entries stay readable by its name.
    /// </summary>
    public Task<ActivityPageDto> ListAsync(string? network, long? before, int? limit, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (network is not null && !Names.IsDnsLabel(network))
        {
            errors.Add("network", "must be a network name (a DNS label: 1-63 of a-z, 0-9 and '-')");
        }
        if (before is < 1)
        {
            errors.Add("before", "must be an entry id (1 or more)");
        }
        if (limit is { } l && l is < 1 or > ActivityLog.MaxPage)
        {
            errors.Add("limit", $"must be 1-{ActivityLog.MaxPage}");
        }
        errors.ThrowIfAny();
        var size = limit ?? DefaultPage;
        return store.ReadAsync(s =>
        {
            // One more than asked: whether a next page exists, without a second query.
            var rows = s.ListActivity(network, before, size + 1);
            var items = rows.Take(size).Select(ToDto).ToList();
            return new ActivityPageDto(items, rows.Count > size ? items[^1].Id : null);
        }, ct);
    }

    private static ActivityDto ToDto(ActivityRecord r) =>
        new(r.Id, r.At, r.ActorKind.ToString().ToLowerInvariant(), r.Actor, r.Action, r.Network, r.Summary);
}
