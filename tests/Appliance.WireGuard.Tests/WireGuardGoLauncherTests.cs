using Appliance.TestSupport;
using Appliance.WireGuard.Uapi;

namespace Appliance.WireGuard.Tests;

public sealed class WireGuardGoLauncherTests
{
    /// <summary>
    /// wireguard-go logs a line per failed handshake for as long as it runs; the launcher used to keep all of it
    /// (the agent's heap grew ~4 KB/s with 100 unreachable peers). Only a bounded tail may be kept: here the quoted
    /// output of a child that wrote 1.3 MB before exiting.
    /// </summary>
    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Keeps_a_bounded_tail_of_the_childs_output()
    {
        var dir = Directory.CreateTempSubdirectory("apwg-launcher-");
        try
        {
            var script = Path.Combine(dir.FullName, "fake-wireguard-go");
            await File.WriteAllTextAsync(script, """
                #!/bin/sh
                i=0
                while [ $i -lt 20000 ]; do echo "peer($i) - Failed to send handshake initiation: network is unreachable"; i=$((i+1)); done >&2
                exit 3
                """.ReplaceLineEndings("\n"));
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var launcher = new WireGuardGoLauncher(new WireGuardGoOptions { Executable = script, SocketDirectory = dir.FullName });

            var e = await Assert.ThrowsAsync<WireGuardException>(() => launcher.StartAsync("apwgtail0"));

            Assert.Contains("exited with 3", e.Message, StringComparison.Ordinal);
            Assert.True(e.Message.Length <= OutputTail.DefaultCapacity + 200, $"the error quotes {e.Message.Length} characters of output");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
