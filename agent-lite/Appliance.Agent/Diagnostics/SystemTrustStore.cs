using System.Runtime.InteropServices;

namespace Appliance.Agent.Diagnostics;

/// <summary>
/// Keeps the system's trust store out of a pinned agent's process. Every TLS handshake on Linux builds its chain
/// through .NET's OpenSSL chain processor, which loads the machine's root and intermediate certificates first, even
/// when the chain policy trusts one custom root alone (<c>X509ChainTrustMode.CustomRootTrust</c>, as the agent's pinned
/// connections do). That load reads every file of <c>/etc/ssl/certs</c> and <c>ca-certificates.crt</c> (~150 CAs, each
/// parsed twice) and is repeated after five minutes, the old copy left to the finalizer: the +0.7-1.8 MB steps in
/// the agent's memory at its HTTPS state checks (issue #15, docs/BENCHMARKS.md "Agent memory").
/// <para>
/// The runtime takes the store's locations from OpenSSL's <c>SSL_CERT_FILE</c> and <c>SSL_CERT_DIR</c> through the C
/// library's environment, once, at its first load; set to empty they name no file and no directory, so every load
/// finds nothing. This is done in the native environment (.NET's own copy does not reach the C library) and only
/// before the process's first handshake: a token that pins the server's CA needs no system CA anywhere.
/// </para>
/// </summary>
public static class SystemTrustStore
{
    private static readonly Lock Gate = new();
    private static bool s_forgone;

    /// <summary>True once <see cref="Forgo"/> has emptied the store's locations for this process.</summary>
    public static bool Forgone
    {
        get
        {
            lock (Gate)
            {
                return s_forgone;
            }
        }
    }

    /// <summary>
    /// Empties the store's locations, whatever the environment named (a pinned chain never looks at them; the
    /// processes the agent starts keep the environment it was given). Commands call it when they trust a pinned CA,
    /// before they connect anywhere (a later call changes nothing the runtime has already read); true when the store
    /// is now empty.
    /// </summary>
    public static bool Forgo()
    {
        lock (Gate)
        {
            if (s_forgone)
            {
                return true;
            }
            // .NET copies the environment for the processes it starts on first use; take that copy first, so that
            // children (wireguard-go, nft, hooks) keep the environment the agent was given.
            _ = Environment.GetEnvironmentVariables();
            try
            {
                s_forgone = setenv("SSL_CERT_FILE\0"u8.ToArray(), "\0"u8.ToArray(), 1) == 0 && setenv("SSL_CERT_DIR\0"u8.ToArray(), "\0"u8.ToArray(), 1) == 0;
            }
            catch (EntryPointNotFoundException)
            {
                s_forgone = false;
            }
            return s_forgone;
        }
    }

    /// <summary>
    /// What a joined agent's command does before it connects: a membership that pins the server's CA keeps the store out
    /// (<see cref="Forgo"/>). One that speaks TLS without a pin (a plain-http token pointed at an https:// server, or an
    /// mqtts:// broker; `run` meets one after a factory reset) needs the store, which a process that has kept it out can
    /// no longer read: the agent exits so that its supervisor (systemd, procd) starts a new one.
    /// </summary>
    /// <exception cref="AgentException">an unpinned TLS membership in a process that has kept the store out.</exception>
    public static void ForMembership(State.AgentState? state)
    {
        if (state is null)
        {
            return;
        }
        if (state.CaPem is not null)
        {
            Forgo();
            return;
        }
        var tls = state.Server.StartsWith("https:", StringComparison.OrdinalIgnoreCase)
            || (state.MqttUrls ?? (state.MqttUrl is null ? [] : [state.MqttUrl])).Any(u => u.StartsWith("mqtts:", StringComparison.OrdinalIgnoreCase));
        if (tls && Forgone)
        {
            throw new AgentException("this membership pins no CA, so its TLS needs the system's trust store, which this process has dropped for the membership before: restart the agent");
        }
    }

    [DllImport("libc")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int setenv(byte[] name, byte[] value, int overwrite);
}
