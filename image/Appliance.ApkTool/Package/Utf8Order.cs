using System.Text;

namespace Appliance.ApkTool.Package;

/// <summary>Orders names by their UTF-8 bytes, as apk's strcmp and blob comparisons do.</summary>
internal sealed class Utf8Order : IComparer<string>
{
    public static readonly Utf8Order Instance = new();

    public int Compare(string? x, string? y) =>
        Encoding.UTF8.GetBytes(x ?? "").AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y ?? ""));
}
