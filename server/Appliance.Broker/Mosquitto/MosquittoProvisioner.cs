using System.Globalization;

namespace Appliance.Broker.Mosquitto;

/// <summary>
/// Provisions per-node credentials and topic ACLs on an external Mosquitto broker by rewriting its password and
/// ACL files atomically and sending SIGHUP, which makes Mosquitto reload both without dropping connections.
/// Existing connections keep their old rights until they reconnect; removed users cannot connect again.
/// </summary>
public sealed class MosquittoProvisioner
{
    private const int SIGHUP = 1;

    private readonly MosquittoProvisionerOptions _options;
    private readonly Dictionary<string, MosquittoUser> _users = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public MosquittoProvisioner(MosquittoProvisionerOptions options)
    {
        _options = options;
    }

    public IReadOnlyCollection<string> UserNames
    {
        get
        {
            lock (_users)
            {
                return [.. _users.Keys];
            }
        }
    }

    /// <summary>The accounts as they are now (a copy).</summary>
    public IReadOnlyList<MosquittoUser> Users
    {
        get
        {
            lock (_users)
            {
                return [.. _users.Values];
            }
        }
    }

    /// <summary>Replaces every account at once (one write, one reload): for reconciling with the server's store.</summary>
    public Task ReplaceAllAsync(IEnumerable<MosquittoUser> users, CancellationToken cancellationToken)
    {
        lock (_users)
        {
            _users.Clear();
            foreach (var u in users)
            {
                _users[u.Name] = u;
            }
        }
        return ApplyAsync(cancellationToken);
    }

    /// <summary>Reads back the accounts already in the files (after a server restart).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var passwords = File.Exists(_options.PasswordFilePath) ? await File.ReadAllTextAsync(_options.PasswordFilePath, cancellationToken).ConfigureAwait(false) : "";
        var acls = File.Exists(_options.AclFilePath) ? await File.ReadAllTextAsync(_options.AclFilePath, cancellationToken).ConfigureAwait(false) : "";
        lock (_users)
        {
            _users.Clear();
            foreach (var u in MosquittoFiles.Parse(passwords, acls))
            {
                _users[u.Name] = u;
            }
        }
    }

    /// <summary>Adds or replaces an account and applies the change.</summary>
    public Task SetUserAsync(string name, string password, MqttTopicAcl acl, CancellationToken cancellationToken)
    {
        lock (_users)
        {
            _users[name] = new MosquittoUser(name, MosquittoPasswordHash.Create(password, _options.HashIterations), acl);
        }
        return ApplyAsync(cancellationToken);
    }

    public Task RemoveUserAsync(string name, CancellationToken cancellationToken)
    {
        lock (_users)
        {
            _users.Remove(name);
        }
        return ApplyAsync(cancellationToken);
    }

    /// <summary>
    /// Writes both files (each via a temp file and rename) and signals Mosquitto to reload. When only the signal
    /// fails, the files are already in place (Mosquitto reads them when it starts) and
    /// <see cref="MosquittoReloadException"/> says so.
    /// </summary>
    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Snapshot inside the gate: a snapshot taken before it could be older than one already written.
            List<MosquittoUser> snapshot;
            lock (_users)
            {
                snapshot = [.. _users.Values];
            }
            await WriteAtomicallyAsync(_options.PasswordFilePath, MosquittoFiles.RenderPasswordFile(snapshot), cancellationToken).ConfigureAwait(false);
            await WriteAtomicallyAsync(_options.AclFilePath, MosquittoFiles.RenderAclFile(snapshot), cancellationToken).ConfigureAwait(false);
            await ReloadAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var pid = _options.ProcessId;
        if (pid is null && _options.PidFilePath is { } pidFile)
        {
            string text;
            try
            {
                text = await File.ReadAllTextAsync(pidFile, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new MosquittoReloadException($"cannot read Mosquitto's pid file {pidFile}: {e.Message}", e);
            }
            pid = int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0
                ? p
                : throw new MosquittoReloadException($"Mosquitto's pid file {pidFile} does not hold a process id");
        }
        if (pid is null)
        {
            throw new InvalidOperationException("no Mosquitto pid: set ProcessId or PidFilePath");
        }
        // A stale pid file may name some other process now; SIGHUP would stop most programs.
        if (ProcessName(pid.Value) is { } name && !name.StartsWith("mosquitto", StringComparison.Ordinal))
        {
            throw new MosquittoReloadException($"pid {pid} is '{name}', not mosquitto; not sending SIGHUP (stale pid file?)");
        }
        if (Interop.LibC.kill(pid.Value, SIGHUP) != 0)
        {
            throw new MosquittoReloadException($"SIGHUP to Mosquitto pid {pid} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>The process's command name from /proc (Linux), or null where that cannot be read.</summary>
    private static string? ProcessName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc (not Linux) or no such process: kill() reports the latter.
            return null;
        }
    }

    private async Task WriteAtomicallyAsync(string path, string content, CancellationToken cancellationToken)
    {
        var temp = path + ".tmp";

        // A stale temp file keeps its old mode, so start from a new one.
        File.Delete(temp);
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Credentials: never world-readable, not even for the moment between create and chmod.
            create.UnixCreateMode = _options.FileMode;
        }
        await using (var stream = new FileStream(temp, create))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(content.AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        if (!OperatingSystem.IsWindows())
        {
            // The umask may have cleared bits the mode asked for.
            File.SetUnixFileMode(temp, _options.FileMode);
        }
        File.Move(temp, path, overwrite: true);
    }
}
