using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;
using Appliance.Server.Mesh;
using Appliance.Server.Mqtt;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// A real Mosquitto with the dynamic-security plugin, provisioned by a real in-process server
/// (<c>Mqtt:Broker=mosquitto</c>) through its admin login, on a loopback port of its own, optionally over TLS with a
/// throwaway CA; plus node-side helpers.
/// </summary>
public sealed class MosquittoLab : IAsyncDisposable
{
    private readonly TempDirectory _dir = new("mosq-server");
    private MosquittoProcess? _mosquitto;
    private TestCertificateAuthority? _ca;

    private MosquittoLab()
    {
    }

    public int Port { get; private set; }

    public bool Tls => _ca is not null;

    /// <summary>The plugin's state file (plugin_opt_config_file): it saves every account there after each command.</summary>
    public string StateFile => _dir.Combine("dynamic-security.json");

    public const string AdminUser = "appliance-admin";

    public string AdminPassword { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The data dir belongs to the lab, not the factory, so a second server can start on it.</summary>
    public string DataDir => _dir.Combine("data");

    /// <summary>The PEM file of the CA that signed Mosquitto's certificate (TLS only).</summary>
    public string CaFile => _dir.Combine("ca.crt");

    public ServerFactory? Server { get; set; }

    public MosquittoProcess Broker => _mosquitto!;

    public static async Task<MosquittoLab> StartAsync(bool tls = false)
    {
        var lab = new MosquittoLab();
        try
        {
            var plugin = await MosquittoProcess.DynamicSecurityConfigAsync(lab.StateFile, AdminUser, lab.AdminPassword);
            lab.Port = Binaries.FreeTcpPort();
            var tlsLines = "";
            if (tls)
            {
                lab._ca = new TestCertificateAuthority();
                using var cert = lab._ca.IssueServerCertificate();
                TestCertificateAuthority.WritePem(lab._dir.Path, lab._ca.Certificate, cert);
                tlsLines = $"cafile {lab.CaFile}\ncertfile {lab._dir.Combine("server.crt")}\nkeyfile {lab._dir.Combine("server.key")}\n";
            }
            lab._mosquitto = await MosquittoProcess.StartAsync(lab._dir.Path, lab.Port,
                $"listener {lab.Port} 127.0.0.1\n{tlsLines}allow_anonymous false\npersistence false\nuse_username_as_clientid true\n" +
                plugin);
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
        return lab;
    }

    /// <summary>The settings a server needs for this Mosquitto (the caller may change any of them).</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Mqtt:Broker"] = "mosquitto",
        ["Mqtt:Mosquitto:Url"] = $"{(Tls ? "mqtts" : "mqtt")}://127.0.0.1:{Port}",
        ["Mqtt:Mosquitto:AdminUser"] = AdminUser,
        ["Mqtt:Mosquitto:AdminPassword"] = AdminPassword,
        ["Mqtt:Mosquitto:CaFile"] = Tls ? CaFile : null,
        ["Mqtt:PublicUrl"] = $"{(Tls ? "mqtts" : "mqtt")}://appliance.test:{Port}",
    };

    /// <summary>Starts the server (replacing <see cref="Server"/>) and waits until its own client is connected.</summary>
    /// <param name="clock">The server's clock (a <c>FakeTimeProvider</c>, say); the system clock when null.</param>
    public async Task<ServerFactory> StartServerAsync(Dictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        var server = new ServerFactory(DataDir, settings: settings ?? Settings())
        {
            TestServices = clock is null ? null : s => s.AddSingleton(clock),
        };
        Server = server;
        await WaitUntilAsync(() => Bus.IsConnected, "the server's client connects to Mosquitto");
        return server;
    }

    public ExternalMeshBus Bus => Assert.IsType<ExternalMeshBus>(Server!.Services.GetRequiredService<IMeshBus>());

    /// <summary><see cref="Wait.UntilAsync(Func{bool}, string, TimeSpan?, Func{string}?, TimeSpan?)"/> that shows Mosquitto's log on a timeout.</summary>
    public Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 15) =>
        Wait.UntilAsync(condition, what, TimeSpan.FromSeconds(seconds), () => "mosquitto log:\n" + Broker.Log, TimeSpan.FromMilliseconds(50));

    /// <summary>A node's client (MQTT 5.0, so a refused publish comes back as a PUBACK reason code), subscribed to its updates.</summary>
    public async Task<MqttClient> ConnectAsync(JoinResponse node, bool subscribe = true)
    {
        var client = new MqttClient(new MqttClientOptions
        {
            Host = "127.0.0.1",
            Port = Port,
            ClientId = node.NodeId,
            UserName = node.NodeId,
            Password = node.Credential,
            ProtocolVersion = MqttProtocolVersion.V500,
            Tls = Tls ? new MqttTlsOptions { TargetHost = "127.0.0.1", TrustedRoots = [X509CertificateLoader.LoadCertificate(_ca!.Certificate.RawData)] } : null,
            AutoReconnect = false,
        });
        try
        {
            await client.ConnectAsync();
            if (subscribe)
            {
                await client.SubscribeAsync(MeshTopics.Updates(node.NodeId));
            }
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        return client;
    }

    /// <summary>The logins in the plugin's state file, as it saved them after its last command.</summary>
    public IReadOnlyList<string> Logins()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(StateFile));
        return [.. doc.RootElement.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("username").GetString()!)];
    }

    /// <summary>The ACLs of a role in the plugin's state file (type, topic, allow), or null when it has no such role.</summary>
    public IReadOnlyList<(string Type, string Topic, bool Allow)>? RoleAcls(string role)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(StateFile));
        foreach (var r in doc.RootElement.GetProperty("roles").EnumerateArray())
        {
            if (r.GetProperty("rolename").GetString() == role)
            {
                return r.TryGetProperty("acls", out var acls)
                    ? [.. acls.EnumerateArray().Select(a => (a.GetProperty("acltype").GetString()!, a.GetProperty("topic").GetString()!, a.GetProperty("allow").GetBoolean()))]
                    : [];
            }
        }
        return null;
    }

    /// <summary>Connects until Mosquitto refuses (the plugin applies a command before it answers, so this is at once).</summary>
    public async Task<MqttConnectException> RefusedAsync(JoinResponse node)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                await using var c = await ConnectAsync(node, subscribe: false);
            }
            catch (MqttConnectException e)
            {
                return e;
            }
            Assert.True(DateTime.UtcNow < deadline, $"node {node.NodeId} can still log in; mosquitto log:\n{Broker.Log}");
            await Task.Delay(100);
        }
    }

    public async Task<NodeDto> NodeAsync(string id)
    {
        using var admin = Server!.Admin();
        return (await admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{id}"))!;
    }

    public async Task<(JoinResponse A, JoinResponse B)> TwoNodesAsync()
    {
        await Server!.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await Server.CreateKeyAsync("home");
        return (await Server.JoinAsync(key, "a"), await Server.JoinAsync(key, "b"));
    }

    public async ValueTask DisposeAsync()
    {
        Server?.Dispose();
        if (_mosquitto is not null)
        {
            await _mosquitto.DisposeAsync();
        }
        _ca?.Dispose();
        _dir.Dispose();
    }
}
