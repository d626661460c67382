namespace Appliance.WireGuard.Uapi;

/// <summary>The UAPI I/O boundary: sends one request to a userspace WireGuard device and returns the whole reply (up to the blank line).</summary>
public interface IUapiTransport
{
    /// <summary>Throws <see cref="WireGuardDeviceNotFoundException"/> when no device listens under that name.</summary>
    Task<string> ExchangeAsync(string interfaceName, ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default);
}
