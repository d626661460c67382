using System.Globalization;
using System.Text;

namespace Appliance.Server.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format 0.0.4: a HELP and TYPE line per metric family, then its samples, with
/// label values escaped (backslash, double quote, line feed) and numbers in invariant culture. Pure: no I/O.
/// </summary>
public sealed class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();

    /// <summary>Starts a metric family (<paramref name="type"/>: counter, gauge or histogram).</summary>
    public PrometheusText Family(string name, string type, string help)
    {
        _text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        return this;
    }

    /// <summary>One sample: name{labels} value.</summary>
    public PrometheusText Sample(string name, double value, params (string Name, string Value)[] labels)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0)
                {
                    _text.Append(',');
                }
                _text.Append(labels[i].Name).Append("=\"").Append(Escape(labels[i].Value)).Append('"');
            }
            _text.Append('}');
        }
        _text.Append(' ').Append(Number(value)).Append('\n');
        return this;
    }

    /// <summary>A histogram's samples: _bucket per upper bound (le), _sum and _count.</summary>
    public PrometheusText Histogram(string name, HistogramSnapshot snapshot)
    {
        foreach (var (bound, count) in snapshot.Buckets)
        {
            Sample(name + "_bucket", count, ("le", Number(bound)));
        }
        Sample(name + "_sum", snapshot.Sum);
        return Sample(name + "_count", snapshot.Count);
    }

    public override string ToString() => _text.ToString();

    private static string Escape(string value) => value
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Number(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);
}
