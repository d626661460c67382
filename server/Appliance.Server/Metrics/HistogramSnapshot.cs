namespace Appliance.Server.Metrics;

/// <summary>A histogram as read at one moment: cumulative counts per upper bound (the last +Inf), the sum and the count.</summary>
public sealed record HistogramSnapshot(IReadOnlyList<(double UpperBound, long Count)> Buckets, double Sum, long Count);
