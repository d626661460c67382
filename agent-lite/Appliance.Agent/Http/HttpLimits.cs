namespace Appliance.Agent.Http;

/// <summary>Bounds on what the agent reads from a server: an answer past any of them is refused, not buffered.</summary>
/// <param name="MaxHeadBytes">The status line and header fields together (and a chunked body's trailer section).</param>
/// <param name="MaxHeaderCount">Header fields in one answer.</param>
/// <param name="MaxBodyBytes">The body after de-chunking.</param>
public sealed record HttpLimits(int MaxHeadBytes, int MaxHeaderCount, int MaxBodyBytes)
{
    /// <summary>
    /// 16 KiB of head and 100 fields (the server sends ~10); 32 MiB of body: a config pull with 20,000 peers is ~8 MB of
    /// JSON, and a device with 128 MB must not be made to hold more than a few times that.
    /// </summary>
    public static HttpLimits Default { get; } = new(16 * 1024, 100, 32 * 1024 * 1024);
}
