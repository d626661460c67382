using System.Runtime.InteropServices;
using Appliance.Agent.Diagnostics;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

/// <summary>
/// <see cref="SystemTrustStore"/> and the rule the joined commands follow (<see cref="SystemTrustStore.ForMembership"/>), in this test process: the
/// C library's environment is what .NET's chain builder reads. Harmless here: this process's tests trust test CAs by
/// pin, never the system's store. JoinEndToEndTests shows the real agent process reading no system CA under strace.
/// </summary>
[Trait("Category", TestCategories.Interop)]
public sealed class SystemTrustStoreTests
{
    [Fact]
    public void A_pinned_membership_empties_the_stores_locations_and_a_later_unpinned_tls_one_asks_for_a_restart()
    {
        SystemTrustStore.ForMembership(JoinCommandTests.SampleState() with { CaPem = "-----BEGIN CERTIFICATE-----", CaFingerprint = new string('a', 64) });
        Assert.True(SystemTrustStore.Forgone);
        // Set in the C library's environment, whatever the runner's environment named (this machine's names both).
        Assert.Equal("", Marshal.PtrToStringUTF8(getenv("SSL_CERT_FILE\0"u8.ToArray())));
        Assert.Equal("", Marshal.PtrToStringUTF8(getenv("SSL_CERT_DIR\0"u8.ToArray())));
        Assert.True(SystemTrustStore.Forgo());
        // The processes the agent starts keep the environment it was given.
        var child = new System.Diagnostics.ProcessStartInfo("/bin/sh", ["-c", "printf '%s' \"${SSL_CERT_DIR-unset}\""]) { RedirectStandardOutput = true };
        using (var sh = System.Diagnostics.Process.Start(child)!)
        {
            Assert.Equal(Environment.GetEnvironmentVariable("SSL_CERT_DIR") ?? "unset", sh.StandardOutput.ReadToEnd());
            sh.WaitForExit();
        }
        Assert.NotEqual("", Environment.GetEnvironmentVariable("SSL_CERT_DIR") ?? "unset");

        // After a factory reset, a plain-http membership with a plain broker needs no CA at all ...
        SystemTrustStore.ForMembership(JoinCommandTests.SampleState() with { Server = "http://127.0.0.1:9", MqttUrl = "mqtt://127.0.0.1:1883" });
        // ... but one that speaks TLS without a pin needs the system's store, which this process no longer reads.
        var https = Assert.Throws<AgentException>(() => SystemTrustStore.ForMembership(JoinCommandTests.SampleState()));
        Assert.Contains("restart the agent", https.Message, StringComparison.Ordinal);
        var mqtts = Assert.Throws<AgentException>(() => SystemTrustStore.ForMembership(JoinCommandTests.SampleState() with
        {
            Server = "http://127.0.0.1:9", MqttUrls = ["mqtt://127.0.0.1:1883", "mqtts://127.0.0.1:8883"],
        }));
        Assert.Contains("system's trust store", mqtts.Message, StringComparison.Ordinal);
    }

    [DllImport("libc")]
    private static extern nint getenv(byte[] name);
}
