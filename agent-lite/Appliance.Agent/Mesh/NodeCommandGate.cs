using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;

namespace Appliance.Agent.Mesh;

/// <summary>
/// Decides whether a pushed <see cref="NodeCommand"/> is taken: signed by the server's signing key (the one the
/// update gate holds), for this node, a known kind with bounded values, issued within
/// <see cref="NodeCommand.MaxAge"/> of this node's clock, and not taken before (the last ids are kept; together with
/// the age window that stops replays). Anything else is refused with the reason.
/// </summary>
public sealed class NodeCommandGate(string nodeId)
{
    private const int Remembered = 64;
    private readonly Queue<string> _seen = new();

    public long Rejected { get; private set; }

    public bool TryAccept(ReadOnlySpan<byte> wire, ReadOnlySpan<byte> signingKey, DateTimeOffset now, out NodeCommand? command, out string reason)
    {
        command = null;
        if (!SignedEnvelope.TryOpen(wire, signingKey, out var payload, out reason))
        {
            return Reject(out reason, "command refused: " + reason);
        }
        NodeCommand? c;
        try
        {
            c = JsonSerializer.Deserialize(payload, DeviceJsonContext.Default.NodeCommand);
        }
        catch (JsonException e)
        {
            return Reject(out reason, "signed but not a command: " + e.Message);
        }
        if (c is null || c.NodeId != nodeId)
        {
            return Reject(out reason, $"a command for another node ({c?.NodeId})");
        }
        if (c.Kind != NodeCommand.IdentifyKind)
        {
            return Reject(out reason, $"an unknown command '{c.Kind}'");
        }
        if (c.Seconds is < NodeCommand.MinSeconds or > NodeCommand.MaxSeconds)
        {
            return Reject(out reason, $"identify for {c.Seconds} s (allowed {NodeCommand.MinSeconds}..{NodeCommand.MaxSeconds})");
        }
        if (c.Id.Length is 0 or > 64)
        {
            return Reject(out reason, "a command without a usable id");
        }
        if ((now - c.IssuedAt).Duration() > NodeCommand.MaxAge)
        {
            return Reject(out reason, $"a stale command (issued {c.IssuedAt:u}, now {now:u})");
        }
        if (_seen.Contains(c.Id))
        {
            return Reject(out reason, $"a replayed command ({c.Id})");
        }
        _seen.Enqueue(c.Id);
        if (_seen.Count > Remembered)
        {
            _seen.Dequeue();
        }
        command = c;
        reason = $"identify for {c.Seconds} s";
        return true;
    }

    private bool Reject(out string reason, string why)
    {
        Rejected++;
        reason = why;
        return false;
    }
}
