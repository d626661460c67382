using Appliance.Broker.Interop;

namespace Appliance.Broker;

/// <summary>
/// The C heap under the broker: OpenSSL allocates and frees a record buffer per TLS connection all the time
/// (SSL_MODE_RELEASE_BUFFERS), from whichever thread-pool thread runs it, and glibc keeps such freed memory in
/// per-thread arenas (up to 8 per core) instead of returning it. Both calls are best effort and do nothing on a C
/// library without them.
/// </summary>
public static class NativeHeap
{
    /// <summary>At most <paramref name="arenas"/> malloc arenas for the process (call at start-up, before the thread pool grows).</summary>
    public static bool LimitArenas(int arenas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(arenas, 1);
        try
        {
            return LibC.mallopt(LibC.M_ARENA_MAX, arenas) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Returns the C heap's free memory to the system; true if glibc released some.</summary>
    public static bool Trim()
    {
        try
        {
            return LibC.malloc_trim(0) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }
}
