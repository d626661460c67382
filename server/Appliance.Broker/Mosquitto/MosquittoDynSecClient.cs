using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;

namespace Appliance.Broker.Mosquitto;

/// <summary>
/// An administrator's connection to Mosquitto's dynamic-security plugin: sends commands on
/// <see cref="MosquittoDynSecCodec.CommandTopic"/> and waits for the answers, matched by correlation data. One message
/// in flight at a time; (re)connects when needed, so a restarted Mosquitto is simply reached again.
/// </summary>
public sealed class MosquittoDynSecClient : IAsyncDisposable
{
    /// <summary>Entries per listing page (a verbose page stays far below <see cref="MosquittoDynSecCodec.MaxResponseBytes"/>).</summary>
    public const int PageSize = 500;

    private readonly MqttClientOptions _options;
    private readonly IMqttClientFactory _factory;
    private readonly TimeSpan _timeout;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IMqttClient? _client;
    private Task _reading = Task.CompletedTask;
    private long _batch;
    private Pending? _pending;

    /// <param name="options">The admin's connection: host, port, TLS, user name and password (its client id is the user name).</param>
    /// <param name="factory">Makes the MQTT client (a fake in tests).</param>
    /// <param name="timeout">How long to wait for an answer.</param>
    public MosquittoDynSecClient(MqttClientOptions options, IMqttClientFactory? factory = null, TimeSpan? timeout = null)
    {
        _options = options;
        _factory = factory ?? MqttClientFactory.Default;
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
    }

    private sealed class Pending(long batch, int count)
    {
        public long Batch { get; } = batch;
        public int Count { get; } = count;
        public List<MosquittoDynSecResponse> Responses { get; } = [];
        public TaskCompletionSource<List<MosquittoDynSecResponse>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Sends the commands (in messages of at most <see cref="MosquittoDynSecCodec.MaxCommandsPerMessage"/>) and returns every answer, in order.</summary>
    public async Task<IReadOnlyList<MosquittoDynSecResponse>> SendAsync(IReadOnlyList<MosquittoDynSecCommand> commands, CancellationToken cancellationToken)
    {
        var all = new List<MosquittoDynSecResponse>(commands.Count);
        for (var i = 0; i < commands.Count; i += MosquittoDynSecCodec.MaxCommandsPerMessage)
        {
            var part = commands.Skip(i).Take(MosquittoDynSecCodec.MaxCommandsPerMessage).ToList();
            all.AddRange(await SendMessageAsync(part, cancellationToken).ConfigureAwait(false));
        }
        return all;
    }

    /// <summary>
    /// Sends the commands and throws <see cref="MosquittoDynSecException"/> naming the first that failed, unless
    /// <paramref name="tolerate"/> accepts its error (say "Client not found" for a delete).
    /// </summary>
    public async Task ExecuteAsync(IReadOnlyList<MosquittoDynSecCommand> commands, Func<MosquittoDynSecResponse, bool>? tolerate, CancellationToken cancellationToken)
    {
        var answers = await SendAsync(commands, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < answers.Count; i++)
        {
            if (!answers[i].Succeeded && tolerate?.Invoke(answers[i]) != true)
            {
                throw new MosquittoDynSecException($"Mosquitto's dynamic-security plugin refused {commands[i].Describe()}: {answers[i].Error}");
            }
        }
    }

    /// <summary>Every client the plugin knows, page by page.</summary>
    public async Task<List<MosquittoDynSecClientInfo>> ListClientsAsync(CancellationToken cancellationToken)
    {
        var all = new List<MosquittoDynSecClientInfo>();
        while (true)
        {
            var data = await ListPageAsync(MosquittoDynSecCommands.ListClients(PageSize, all.Count), cancellationToken).ConfigureAwait(false);
            var (page, total) = MosquittoDynSecCodec.ReadClients(data);
            all.AddRange(page);
            if (page.Count == 0 || all.Count >= total)
            {
                return all;
            }
        }
    }

    /// <summary>Every role the plugin knows, with its ACLs, page by page.</summary>
    public async Task<List<MosquittoDynSecRoleInfo>> ListRolesAsync(CancellationToken cancellationToken)
    {
        var all = new List<MosquittoDynSecRoleInfo>();
        while (true)
        {
            var data = await ListPageAsync(MosquittoDynSecCommands.ListRoles(PageSize, all.Count), cancellationToken).ConfigureAwait(false);
            var (page, total) = MosquittoDynSecCodec.ReadRoles(data);
            all.AddRange(page);
            if (page.Count == 0 || all.Count >= total)
            {
                return all;
            }
        }
    }

    private async Task<System.Text.Json.JsonElement> ListPageAsync(MosquittoDynSecCommand command, CancellationToken cancellationToken)
    {
        var answer = (await SendMessageAsync([command], cancellationToken).ConfigureAwait(false))[0];
        return answer is { Succeeded: true, Data: { } data }
            ? data
            : throw new MosquittoDynSecException($"Mosquitto's dynamic-security plugin refused {command.Name}: {answer.Error ?? "no data"}");
    }

    private async Task<List<MosquittoDynSecResponse>> SendMessageAsync(List<MosquittoDynSecCommand> commands, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var client = await ConnectedAsync(cancellationToken).ConfigureAwait(false);
            var pending = new Pending(++_batch, commands.Count);
            Volatile.Write(ref _pending, pending);
            try
            {
                await client.PublishAsync(MosquittoDynSecCodec.CommandTopic, MosquittoDynSecCodec.Encode(commands, pending.Batch), MqttQos.AtLeastOnce, cancellationToken: cancellationToken).ConfigureAwait(false);
                return await pending.Done.Task.WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // An unanswered question leaves the connection suspect: the next one starts on a new connection.
                await DropAsync().ConfigureAwait(false);
                throw new MosquittoDynSecException(
                    $"Mosquitto did not answer {commands[0].Describe()} within {_timeout.TotalSeconds:0} s: is the dynamic-security plugin loaded " +
                    $"(plugin and plugin_opt_config_file in mosquitto.conf), and does user '{_options.UserName}' have its admin role?");
            }
            catch (Exception e) when (e is MqttConnectionLostException or MqttPublishRefusedException or IOException)
            {
                await DropAsync().ConfigureAwait(false);
                throw new MosquittoDynSecException($"sending {commands[0].Describe()} to Mosquitto failed: {e.Message}", e);
            }
            finally
            {
                Volatile.Write(ref _pending, null);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IMqttClient> ConnectedAsync(CancellationToken cancellationToken)
    {
        if (_client is { IsConnected: true } live)
        {
            return live;
        }
        await DropAsync().ConfigureAwait(false);
        var client = _factory.Create(_options);
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            var codes = await client.SubscribeAsync(MosquittoDynSecCodec.ResponseTopic, MqttQos.AtLeastOnce, cancellationToken).ConfigureAwait(false);
            if (codes.Count == 0 || codes[0] >= 0x80)
            {
                throw new MosquittoDynSecException(
                    $"Mosquitto refused user '{_options.UserName}' the subscription to {MosquittoDynSecCodec.ResponseTopic}: give it the dynamic-security admin role");
            }
        }
        catch (Exception e) when (e is not MosquittoDynSecException and not OperationCanceledException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new MosquittoDynSecException($"cannot connect to Mosquitto at {_options.Host}:{_options.Port} as '{_options.UserName}': {e.Message}", e);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _client = client;
        _reading = ReadAsync(client);
        return client;
    }

    private async Task ReadAsync(IMqttClient client)
    {
        try
        {
            await foreach (var m in client.Messages.ReadAllAsync().ConfigureAwait(false))
            {
                if (m.Topic != MosquittoDynSecCodec.ResponseTopic || Volatile.Read(ref _pending) is not { } pending)
                {
                    continue;
                }
                List<MosquittoDynSecResponse> answers;
                try
                {
                    answers = MosquittoDynSecCodec.Decode(m.Payload.Span);
                }
                catch (MosquittoDynSecException e)
                {
                    pending.Done.TrySetException(e);
                    continue;
                }
                // Answers to a message given up on (timed out) carry its batch number: skip them.
                var prefix = pending.Batch.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".";
                foreach (var a in answers.Where(a => a.CorrelationData?.StartsWith(prefix, StringComparison.Ordinal) == true))
                {
                    pending.Responses.Add(a);
                }
                if (pending.Responses.Count >= pending.Count)
                {
                    pending.Done.TrySetResult(pending.Responses);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Volatile.Read(ref _pending)?.Done.TrySetException(new MosquittoDynSecException("the connection to Mosquitto ended: " + e.Message, e));
        }
        // The client's message stream ended (connection closed or disposed): a waiting command will not be answered.
        Volatile.Read(ref _pending)?.Done.TrySetException(new MosquittoDynSecException("the connection to Mosquitto closed before it answered"));
    }

    private async Task DropAsync()
    {
        if (_client is { } old)
        {
            _client = null;
            await old.DisposeAsync().ConfigureAwait(false);
            await _reading.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await DropAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
