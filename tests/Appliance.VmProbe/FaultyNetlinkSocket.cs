using System.Buffers.Binary;
using Appliance.Netlink;
using Appliance.WireGuard.Genl;

namespace Appliance.VmProbe;

/// <summary>
/// A real netlink socket that stops waiting for the kernel's ACK after the Nth WG_CMD_SET_DEVICE message: the kernel has
/// applied the first N messages of a split plan, the client sees a receive timeout. The ACK stays queued on the socket.
/// </summary>
public sealed class FaultyNetlinkSocket : INetlinkSocket
{
    private readonly INetlinkSocket _inner;
    private readonly ushort _familyId;
    private readonly int _failAfterSets;
    private int _sets;
    private bool _armed;

    public FaultyNetlinkSocket(INetlinkSocket inner, ushort familyId, int failAfterSets)
    {
        _inner = inner;
        _familyId = familyId;
        _failAfterSets = failAfterSets;
    }

    /// <summary>Runs once, after the failing message was sent and before the timeout is raised (reads the half-applied device).</summary>
    public Action? OnFault { get; set; }

    public bool Faulted { get; private set; }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        _inner.Send(datagram);
        if (!Faulted && BinaryPrimitives.ReadUInt16LittleEndian(datagram[4..]) == _familyId && datagram[16] == WgGenlConstants.WG_CMD_SET_DEVICE && ++_sets == _failAfterSets)
        {
            _armed = true;
        }
    }

    public int Receive(Span<byte> buffer)
    {
        if (_armed)
        {
            _armed = false;
            Faulted = true;
            OnFault?.Invoke();
            throw new TimeoutException($"probe: no ACK read for WG_CMD_SET_DEVICE #{_failAfterSets}");
        }
        return _inner.Receive(buffer);
    }

    public void Dispose() => _inner.Dispose();
}
