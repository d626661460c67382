namespace Appliance.Server.Services;

/// <summary>A page of the activity log, newest first; <see cref="Next"/> is the <c>before</c> of the next page (null on the last).</summary>
public sealed record ActivityPageDto(IReadOnlyList<ActivityDto> Items, long? Next);
