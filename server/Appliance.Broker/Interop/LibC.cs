using System.Runtime.InteropServices;

namespace Appliance.Broker.Interop;

/// <summary>glibc's allocator controls (malloc.h) and clocks (time.h). Missing on other C libraries (musl): callers treat that as "not available".</summary>
internal static partial class LibC
{
    /// <summary>malloc.h: <c>#define M_ARENA_MAX -8</c>.</summary>
    internal const int M_ARENA_MAX = -8;

    /// <summary>linux/time.h: <c>#define CLOCK_THREAD_CPUTIME_ID 3</c>, the CPU time the calling thread has used.</summary>
    internal const int CLOCK_THREAD_CPUTIME_ID = 3;

    /// <summary><c>int malloc_trim(size_t pad)</c>: gives free memory at the top and inside every arena back to the system (madvise); 1 if any was released.</summary>
    [LibraryImport("libc")]
    internal static partial int malloc_trim(nuint pad);

    /// <summary><c>int mallopt(int param, int value)</c>; 1 on success.</summary>
    [LibraryImport("libc")]
    internal static partial int mallopt(int param, int value);

    /// <summary><c>int clock_gettime(clockid_t clockid, struct timespec *tp)</c>; 0 on success.</summary>
    [LibraryImport("libc")]
    internal static partial int clock_gettime(int clockid, out Timespec tp);
}
