using System.Runtime.InteropServices;

namespace Appliance.Agent.Diagnostics;

/// <summary>
/// Keeps glibc's malloc to one arena. By default glibc gives threads that allocate at the same time arenas of their
/// own (up to 8 per core), each a 64 MB reservation of which it keeps what it once used: the agent's malloc (OpenSSL,
/// the runtime's native side) grew from 1.6 to 3.8 MB over 30 minutes as thread-pool threads came and went, in four
/// arenas of ~1 MB (docs/BENCHMARKS.md "Agent memory", issue #15). The agent allocates little natively and is not
/// malloc-bound, so one arena costs nothing measurable. An explicit <c>MALLOC_ARENA_MAX</c> in the environment wins.
/// </summary>
public static class MallocArenas
{
    /// <summary>mallopt's parameter for the arena limit (glibc malloc.h).</summary>
    private const int M_ARENA_MAX = -8;

    /// <summary>Sets the limit; false when the C library has no such setting (musl) or the environment sets it.</summary>
    public static bool Limit(int arenas = 1)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX")))
        {
            return false;
        }
        try
        {
            // mallopt returns 1 on success, 0 for a parameter it does not know.
            return mallopt(M_ARENA_MAX, arenas) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int mallopt(int param, int value);
}
