using Appliance.Agent.Diagnostics;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

public sealed class MallocArenasTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Glibc_takes_the_arena_limit_unless_the_environment_sets_one()
    {
        // The test host is glibc (Debian): mallopt(M_ARENA_MAX) must be known to it, or the agent's limit is a no-op.
        // (One arena for this test process too: harmless, the tests allocate little natively.)
        Assert.Null(Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX"));
        Assert.True(MallocArenas.Limit());

        Environment.SetEnvironmentVariable("MALLOC_ARENA_MAX", "4");
        try
        {
            Assert.False(MallocArenas.Limit());
        }
        finally
        {
            Environment.SetEnvironmentVariable("MALLOC_ARENA_MAX", null);
        }
    }
}
