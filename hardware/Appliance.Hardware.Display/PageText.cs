namespace Appliance.Hardware.Display;

/// <summary>
/// One laid-out page: a title bar (drawn inverted, with "n/N" on its right) and up to
/// <see cref="PageLayout.BodyLines"/> body lines of at most <see cref="PageLayout.Columns"/> characters each.
/// </summary>
public sealed record PageText(string Title, string Position, IReadOnlyList<string> Lines);
