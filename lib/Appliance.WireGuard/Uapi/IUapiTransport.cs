using System.Buffers;
using System.Text;

namespace Appliance.WireGuard.Uapi;

/// <summary>The UAPI I/O boundary: sends one request to a userspace WireGuard device and returns the whole reply (up to the blank line).</summary>
public interface IUapiTransport
{
    /// <summary>Throws <see cref="WireGuardDeviceNotFoundException"/> when no device listens under that name.</summary>
    Task<string> ExchangeAsync(string interfaceName, ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default);

    /// <summary>
    /// The same exchange with the reply's bytes written into <paramref name="reply"/>, a buffer the caller keeps between
    /// calls: the agent reads its device every second, and a reply of 100 peers is ~35 KB. By default through
    /// <see cref="ExchangeAsync"/> (a transport that reads bytes overrides it and makes no text at all).
    /// </summary>
    async Task ExchangeIntoAsync(string interfaceName, ReadOnlyMemory<byte> request, ArrayBufferWriter<byte> reply, CancellationToken cancellationToken = default)
    {
        var text = await ExchangeAsync(interfaceName, request, cancellationToken).ConfigureAwait(false);
        Encoding.UTF8.GetBytes(text, reply);
    }
}
