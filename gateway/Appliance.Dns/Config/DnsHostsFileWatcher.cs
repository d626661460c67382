using Appliance.Dns.Server;
using Appliance.Dns.Zone;

namespace Appliance.Dns.Config;

/// <summary>
/// Serves a hosts file through a <see cref="DnsServer"/> and picks up changes: every interval it compares the
/// file's modification time and size, and on a change parses it and swaps the new names in (queries keep being
/// answered from the old snapshot until then). A file that fails to parse is reported and the old names stay.
/// </summary>
public sealed class DnsHostsFileWatcher : IAsyncDisposable
{
    private readonly DnsServer _server;
    private readonly string _path;
    private readonly Func<IReadOnlyList<DnsHostsEntry>, DnsHostsSource> _toSource;
    private readonly Action<string>? _log;
    private readonly PeriodicTimer _timer;
    private readonly CancellationTokenSource _stop = new();
    private (DateTime Mtime, long Size) _seen;
    private Task _loop = Task.CompletedTask;
    private int _reloads;

    public DnsHostsFileWatcher(DnsServer server, string path, TimeSpan interval, Func<IReadOnlyList<DnsHostsEntry>, DnsHostsSource>? toSource = null, Action<string>? log = null, TimeProvider? time = null)
    {
        _server = server ?? throw new ArgumentNullException(nameof(server));
        _path = path ?? throw new ArgumentNullException(nameof(path));
        _toSource = toSource ?? (e => new DnsHostsSource(e));
        _log = log;
        _timer = new PeriodicTimer(interval, time ?? TimeProvider.System);
    }

    /// <summary>Successful loads so far (the first one included).</summary>
    public int Reloads => Volatile.Read(ref _reloads);

    /// <summary>Loads the file now (throws <see cref="DnsConfigException"/> if it is bad) and starts watching it.</summary>
    public void Start()
    {
        Load();
        _loop = WatchAsync(_stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _timer.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    var info = new FileInfo(_path);
                    if (!info.Exists || (info.LastWriteTimeUtc, info.Length) == _seen)
                    {
                        continue;
                    }
                    Load();
                    _log?.Invoke($"dns: reloaded {_path} ({_server.NameCount} names)");
                }
                catch (Exception e) when (e is DnsConfigException or IOException or ArgumentException)
                {
                    _log?.Invoke($"dns: keeping the previous names, reload of {_path} failed: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Load()
    {
        var info = new FileInfo(_path);
        var stamp = (info.LastWriteTimeUtc, info.Length);
        string text;
        try
        {
            text = File.ReadAllText(_path);
        }
        catch (IOException e)
        {
            throw new DnsConfigException($"cannot read hosts file {_path}: {e.Message}", e);
        }
        _server.SetHosts(_toSource(HostsFileParser.Parse(text, _path)));
        _seen = stamp;
        Interlocked.Increment(ref _reloads);
    }
}
