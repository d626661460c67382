using System.Text;

namespace Appliance.Mqtt.Formatter;

/// <summary>Topic name and topic filter rules (3.1.1 section 4.7, 5.0 section 4.7).</summary>
public static class MqttTopic
{
    /// <summary>Topic names and filters are UTF-8 strings with a 2-byte length prefix.</summary>
    public const int MaxLength = ushort.MaxValue;

    /// <summary>A topic a PUBLISH may carry: at least one character, no '+' or '#', no U+0000, at most 65535 bytes.</summary>
    public static bool IsValidTopicName(string topic)
    {
        if (topic.Length == 0 || topic.AsSpan().IndexOfAny('+', '#', '\0') >= 0)
        {
            return false;
        }
        return Encoding.UTF8.GetByteCount(topic) <= MaxLength;
    }

    /// <summary>A filter a SUBSCRIBE may carry: '+' fills a whole level, '#' only as the whole last level.</summary>
    public static bool IsValidTopicFilter(string filter)
    {
        if (filter.Length == 0 || filter.Contains('\0', StringComparison.Ordinal) || Encoding.UTF8.GetByteCount(filter) > MaxLength)
        {
            return false;
        }
        var levelStart = 0;
        for (var i = 0; i <= filter.Length; i++)
        {
            if (i < filter.Length && filter[i] != '/')
            {
                continue;
            }
            var level = filter.AsSpan(levelStart, i - levelStart);
            if (level.Length > 1 && level.IndexOfAny('+', '#') >= 0)
            {
                return false;
            }
            if (level is "#" && i != filter.Length)
            {
                return false;
            }
            levelStart = i + 1;
        }
        return true;
    }

    /// <summary>Whether <paramref name="topic"/> (a valid topic name) matches <paramref name="filter"/> (a valid filter).</summary>
    public static bool Matches(string filter, string topic)
    {
        // 4.7.2: wildcards at the first level do not match topics that start with '$'.
        if (topic.Length > 0 && topic[0] == '$' && filter.Length > 0 && (filter[0] == '+' || filter[0] == '#'))
        {
            return false;
        }
        var f = filter.AsSpan();
        var t = topic.AsSpan();
        while (true)
        {
            var fSlash = f.IndexOf('/');
            var fLevel = fSlash < 0 ? f : f[..fSlash];
            if (fLevel is "#")
            {
                return true;
            }
            var tSlash = t.IndexOf('/');
            var tLevel = tSlash < 0 ? t : t[..tSlash];
            if (!(fLevel is "+") && !fLevel.SequenceEqual(tLevel))
            {
                return false;
            }
            if (fSlash < 0 || tSlash < 0)
            {
                if (fSlash < 0 && tSlash < 0)
                {
                    return true;
                }
                // "a/#" matches "a" as well (4.7.1.2): filter continues with exactly "/#".
                return tSlash < 0 && f[(fSlash + 1)..] is "#";
            }
            f = f[(fSlash + 1)..];
            t = t[(tSlash + 1)..];
        }
    }

    /// <summary>Whether every topic that <paramref name="filter"/> can match is also matched by <paramref name="pattern"/>.</summary>
    /// <remarks>Used for subscribe ACLs: a node may subscribe to "appliance/v1/node/n1/+" when allowed "appliance/v1/node/n1/#".</remarks>
    public static bool IsCoveredBy(string filter, string pattern)
    {
        var f = filter.Split('/');
        var p = pattern.Split('/');
        for (var i = 0; i < f.Length; i++)
        {
            if (i >= p.Length)
            {
                return false;
            }
            if (p[i] == "#")
            {
                return true;
            }
            if (f[i] == "#")
            {
                return false;
            }
            if (p[i] == "+")
            {
                continue;
            }
            if (f[i] == "+" || f[i] != p[i])
            {
                return false;
            }
        }
        // "a/b" against pattern "a/b/#" is covered too.
        return f.Length == p.Length || (p.Length == f.Length + 1 && p[^1] == "#");
    }
}
