using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Appliance.Dns.Interop;

namespace Appliance.Dns.Server;

/// <summary>
/// The memory of one batched UDP receive loop: <c>Size</c> query slots and as many answer slots, each with its
/// socket address, described by native <c>mmsghdr</c> arrays so one recvmmsg(2) takes every datagram waiting and
/// one sendmmsg(2) sends every answer. Query buffers are pinned arrays that can be handed to a query waiting for
/// an upstream (<see cref="TakeQuery"/>); the slot then gets a fresh one. Used by one thread only.
/// </summary>
internal sealed unsafe class DnsUdpBatch : IDisposable
{
    private readonly byte[][] _queries;
    private readonly SocketAddress[] _remotes;
    private readonly byte[] _answers;
    private readonly byte[] _names;
    private readonly int[] _answerLengths;
    private readonly Func<byte[]> _newQueryBuffer;
    private readonly mmsghdr* _recv;
    private readonly iovec* _recvIov;
    private readonly mmsghdr* _send;
    private readonly iovec* _sendIov;
    private readonly byte* _namesPtr;
    private readonly byte* _answersPtr;
    private bool _disposed;

    /// <param name="size">Datagrams per system call.</param>
    /// <param name="querySize">Largest query taken whole (a longer one arrives with MSG_TRUNC set and is dropped).</param>
    /// <param name="answerSize">Largest answer sent (the server's UDP payload limit).</param>
    /// <param name="newQueryBuffer">Gives a pinned array of <paramref name="querySize"/> bytes (POH), for a slot whose buffer was taken.</param>
    public DnsUdpBatch(int size, int querySize, int answerSize, Func<byte[]> newQueryBuffer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
        QuerySize = querySize;
        AnswerSize = answerSize;
        _newQueryBuffer = newQueryBuffer;
        _queries = new byte[size][];
        _remotes = new SocketAddress[size];
        _answerLengths = new int[size];
        // Pinned (POH) so the native headers can point into them for the loop's lifetime.
        _answers = GC.AllocateUninitializedArray<byte>(size * answerSize, pinned: true);
        _names = GC.AllocateArray<byte>(size * Mmsg.SockaddrStorageSize, pinned: true);
        _namesPtr = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_names, 0);
        _answersPtr = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_answers, 0);
        _recv = (mmsghdr*)NativeMemory.AllocZeroed((nuint)size, (nuint)sizeof(mmsghdr));
        _send = (mmsghdr*)NativeMemory.AllocZeroed((nuint)size, (nuint)sizeof(mmsghdr));
        _recvIov = (iovec*)NativeMemory.AllocZeroed((nuint)size, (nuint)sizeof(iovec));
        _sendIov = (iovec*)NativeMemory.AllocZeroed((nuint)size, (nuint)sizeof(iovec));
        for (var i = 0; i < size; i++)
        {
            SetQueryBuffer(i, newQueryBuffer());
            _remotes[i] = new SocketAddress(AddressFamily.InterNetworkV6);
            _recv[i].msg_hdr.msg_name = _namesPtr + (i * Mmsg.SockaddrStorageSize);
            _recv[i].msg_hdr.msg_iov = &_recvIov[i];
            _recv[i].msg_hdr.msg_iovlen = 1;
            _send[i].msg_hdr.msg_iov = &_sendIov[i];
            _send[i].msg_hdr.msg_iovlen = 1;
        }
    }

    public int Size { get; }

    public int QuerySize { get; }

    public int AnswerSize { get; }

    /// <summary>
    /// Waits (up to the socket's receive timeout) for at least one datagram and takes all that are queued, up to
    /// <see cref="Size"/>; 0 on timeout or interruption. Throws <see cref="SocketException"/> on other errors and
    /// <see cref="ObjectDisposedException"/> once the socket is closed.
    /// </summary>
    public int Receive(Socket socket)
    {
        for (var i = 0; i < Size; i++)
        {
            _recv[i].msg_hdr.msg_namelen = Mmsg.SockaddrStorageSize;
            _recv[i].msg_hdr.msg_flags = 0;
            _recv[i].msg_len = 0;
            _answerLengths[i] = 0;
        }
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            // Holds the descriptor open while the call runs, so a concurrent Dispose cannot hand its number to another file.
            handle.DangerousAddRef(ref added);
            var n = Mmsg.recvmmsg((int)handle.DangerousGetHandle(), _recv, (uint)Size, Mmsg.MSG_WAITFORONE, null);
            if (n >= 0)
            {
                return n;
            }
            var errno = Marshal.GetLastPInvokeError();
            return errno is Mmsg.EAGAIN or Mmsg.EINTR ? 0 : throw new SocketException(errno);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Datagram <paramref name="i"/> did not fit its slot (MSG_TRUNC): it must not be read as a query.</summary>
    public bool WasTruncated(int i) => (_recv[i].msg_hdr.msg_flags & Mmsg.MSG_TRUNC) != 0;

    public ReadOnlyMemory<byte> Query(int i) => _queries[i].AsMemory(0, (int)Math.Min(_recv[i].msg_len, (uint)QuerySize));

    /// <summary>Where datagram <paramref name="i"/> came from (the slot's own object, rewritten by each receive).</summary>
    public SocketAddress Remote(int i)
    {
        var length = (int)Math.Min(_recv[i].msg_hdr.msg_namelen, Mmsg.SockaddrStorageSize);
        var remote = _remotes[i];
        if (remote.Buffer.Length < length)
        {
            remote = _remotes[i] = new SocketAddress(AddressFamily.InterNetworkV6, length);
        }
        _names.AsSpan(i * Mmsg.SockaddrStorageSize, length).CopyTo(remote.Buffer.Span);
        remote.Size = length;
        return remote;
    }

    /// <summary>Gives slot <paramref name="i"/>'s query buffer and address away (to a query that waits) and fits the slot with new ones.</summary>
    public (byte[] Query, SocketAddress Remote) TakeQuery(int i)
    {
        var taken = (_queries[i], _remotes[i]);
        SetQueryBuffer(i, _newQueryBuffer());
        _remotes[i] = new SocketAddress(AddressFamily.InterNetworkV6);
        return taken;
    }

    /// <summary>The answer area of slot <paramref name="i"/> (<see cref="AnswerSize"/> bytes).</summary>
    public Span<byte> Answer(int i) => _answers.AsSpan(i * AnswerSize, AnswerSize);

    /// <summary>Marks slot <paramref name="i"/>'s answer (already written to <see cref="Answer"/>) for the next <see cref="Send"/>.</summary>
    public void SetAnswerLength(int i, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, AnswerSize);
        _answerLengths[i] = length;
    }

    /// <summary>
    /// Sends the marked answers of the first <paramref name="count"/> slots, each to the address its query came
    /// from, in as few sendmmsg calls as the kernel allows; an answer the kernel refuses is skipped (a datagram
    /// needs no retry). Returns how many were sent.
    /// </summary>
    public int Send(Socket socket, int count)
    {
        var pending = 0;
        for (var i = 0; i < count; i++)
        {
            if (_answerLengths[i] <= 0)
            {
                continue;
            }
            ref var h = ref _send[pending];
            h.msg_hdr.msg_name = _recv[i].msg_hdr.msg_name;
            h.msg_hdr.msg_namelen = _recv[i].msg_hdr.msg_namelen;
            h.msg_hdr.msg_flags = 0;
            _sendIov[pending].iov_base = _answersPtr + ((long)i * AnswerSize);
            _sendIov[pending].iov_len = (nuint)_answerLengths[i];
            pending++;
        }
        if (pending == 0)
        {
            return 0;
        }
        var handle = socket.SafeHandle;
        var added = false;
        var sent = 0;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            for (var first = 0; first < pending;)
            {
                var n = Mmsg.sendmmsg(fd, _send + first, (uint)(pending - first), 0);
                if (n > 0)
                {
                    first += n;
                    sent += n;
                }
                else if (n < 0 && Marshal.GetLastPInvokeError() == Mmsg.EINTR)
                {
                    continue;
                }
                else
                {
                    // The first unsent answer was refused (buffer full, no route): drop it, send the rest.
                    first++;
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
        return sent;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        NativeMemory.Free(_recv);
        NativeMemory.Free(_send);
        NativeMemory.Free(_recvIov);
        NativeMemory.Free(_sendIov);
    }

    private void SetQueryBuffer(int i, byte[] buffer)
    {
        if (buffer.Length < QuerySize)
        {
            throw new ArgumentException($"query buffer of {buffer.Length} bytes, the batch needs {QuerySize}", nameof(buffer));
        }
        _queries[i] = buffer;
        _recvIov[i].iov_base = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0);
        _recvIov[i].iov_len = (nuint)QuerySize;
    }
}
