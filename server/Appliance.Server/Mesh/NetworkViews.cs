using System.Diagnostics;
using Appliance.Server.Store;

namespace Appliance.Server.Mesh;

/// <summary>
/// The view of each network whose members were told anything, kept current from the store's change sets: a network
/// is read whole the first time a member asks for its snapshot, then each committed change set is applied to its view
/// record by record. Only when a set cannot be applied by itself (the network's own settings changed, a version went
/// missing) is the network read again. Touched only by the publishing loop.
/// </summary>
public sealed class NetworkViews(IApplianceStore store, string? dnsSuffix)
{
    private readonly Dictionary<string, NetworkView> _views = new(StringComparer.Ordinal);
    private long _computeTicks, _reloads;

    /// <summary>Time spent applying change sets to views (the store reads of a reload excluded).</summary>
    public TimeSpan ComputeTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _computeTicks));

    /// <summary>Networks read again whole for a change (their settings changed, or a change set could not be applied by itself).</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    public IEnumerable<NetworkView> All => _views.Values;

    public bool TryGet(string network, out NetworkView view) => _views.TryGetValue(network, out view!);

    /// <summary>Drops a network's view (nobody follows: the next snapshot request reads it again).</summary>
    public void Forget(string network) => _views.Remove(network);

    /// <summary>
    /// Applies one round's change sets of a network, in commit order, to its view: the view after them and the step
    /// from what its members were told, or null when there is no view (nobody asked yet, or the network is gone).
    /// </summary>
    public async Task<(NetworkView View, NetworkViewStep Step)?> ApplyAsync(string network, IReadOnlyList<NetworkChangeSet> sets, CancellationToken ct)
    {
        if (!_views.TryGetValue(network, out var view))
        {
            // Nothing to send a delta from (the server just started, or nobody asked yet): agents ask for a snapshot
            // when they connect, and that reads the network whole.
            return null;
        }
        var started = Stopwatch.GetTimestamp();
        var step = new NetworkViewStep(view);
        var reload = false;
        foreach (var set in sets)
        {
            if (set.NetworkRemoved)
            {
                _views.Remove(network);
                return null;
            }
            // A set at or below the view's version is in it already (the view was read after that write).
            if (set.Version > view.Version && !view.TryApply(set, step))
            {
                reload = true;
                break;
            }
        }
        Interlocked.Add(ref _computeTicks, Stopwatch.GetTimestamp() - started);
        if (reload)
        {
            Interlocked.Increment(ref _reloads);
            var loaded = await LoadAsync(network, view, ct);
            if (loaded is null)
            {
                _views.Remove(network);
                return null;
            }
            step.Cover(view, loaded);
            _views[network] = view = loaded;
        }
        return (view, step);
    }

    /// <summary>
    /// The view a member's snapshot is made from: the current one when it has the member, otherwise the network read
    /// again, with the step that brings the other members to it (null when they are there already). Null when the
    /// network or the member is gone.
    /// </summary>
    public async Task<(NetworkView View, NetworkViewStep? CatchUp)?> ForMemberAsync(string network, string nodeId, CancellationToken ct)
    {
        var published = _views.GetValueOrDefault(network);
        if (published is not null && published.Members.ContainsKey(nodeId))
        {
            return (published, null);
        }
        var view = await LoadAsync(network, published, ct);
        if (view is null || !view.Members.ContainsKey(nodeId))
        {
            return null;
        }
        _views[network] = view;
        return (view, published is not null && published.Version != view.Version ? NetworkViewStep.Between(published, view) : null);
    }

    /// <summary>The network read whole again as its view (a replica taking publishing over); null when it is gone.</summary>
    public async Task<NetworkView?> ReloadAsync(string network, CancellationToken ct)
    {
        var view = await LoadAsync(network, _views.GetValueOrDefault(network), ct);
        if (view is null)
        {
            _views.Remove(network);
        }
        else
        {
            _views[network] = view;
        }
        return view;
    }

    // The network read whole from the store (O(N)), built on the view last sent, whose unchanged records it shares.
    private Task<NetworkView?> LoadAsync(string network, NetworkView? previous, CancellationToken ct) =>
        store.ReadAsync(s =>
        {
            var net = s.FindNetwork(network);
            return net is null ? null : NetworkView.Build(NetworkState.Load(s, net, dnsSuffix), previous);
        }, ct);
}
