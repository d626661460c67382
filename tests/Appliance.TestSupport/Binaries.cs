namespace Appliance.TestSupport;

/// <summary>The built product binaries (same configuration as the running test), for tests that run them as processes.</summary>
public static class Binaries
{
    private static string Configuration =>
        AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string Server => Find("server/Appliance.Server", "appliance-server.dll");

    public static string Agent => Find("agent-lite/Appliance.Agent", "appliance-agent.dll");

    private static string Find(string project, string dll)
    {
        var path = RepoPaths.Combine(project, "bin", Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{dll} is not built at {path}; build the solution first");
    }

    /// <summary>A TCP port free on loopback right now.</summary>
    public static int FreeTcpPort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
