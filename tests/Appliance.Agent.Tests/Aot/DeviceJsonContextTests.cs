using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests.Aot;

/// <summary>
/// The device's own JSON context (issue #15: the agent's binary carries serializers only for what it reads or
/// writes) reads and writes every shared type exactly as the server's context does, and device code no longer
/// reaches the server's context.
/// </summary>
public sealed class DeviceJsonContextTests
{
    public static TheoryData<string> DeviceRoots() => new(DeviceJsonContext.Default.GetType().GetProperties()
        .Where(p => typeof(JsonTypeInfo).IsAssignableFrom(p.PropertyType) && p.Name != "Default")
        .Select(p => p.Name));

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Both_contexts_have_the_same_options()
    {
        JsonSerializerOptions device = DeviceJsonContext.Default.Options, server = ApplianceJsonContext.Default.Options;
        Assert.Equal(server.PropertyNamingPolicy, device.PropertyNamingPolicy);
        Assert.Equal(server.DefaultIgnoreCondition, device.DefaultIgnoreCondition);
        Assert.Equal(server.PropertyNameCaseInsensitive, device.PropertyNameCaseInsensitive);
        Assert.Equal(server.WriteIndented, device.WriteIndented);
        Assert.Equal(server.NumberHandling, device.NumberHandling);
    }

    /// <summary>
    /// Every type a device root reaches has, in both contexts, the same JSON properties in the same order, of the same
    /// types, with the same ignore conditions: what one side writes, the other reads the same way.
    /// </summary>
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(DeviceRoots))]
    public void Device_type_has_the_servers_contract(string root)
    {
        var type = DeviceJsonContext.Default.GetType().GetProperty(root)!.PropertyType.GetGenericArguments()[0];
        var seen = new HashSet<Type>();
        var pending = new Queue<Type>([type]);
        while (pending.TryDequeue(out var t))
        {
            if (!seen.Add(t))
            {
                continue;
            }
            var device = DeviceJsonContext.Default.GetTypeInfo(t);
            var server = ApplianceJsonContext.Default.GetTypeInfo(t);
            Assert.True(device is not null, $"{t} (reached from {root}) is missing from the device context");
            Assert.True(server is not null, $"{t} (reached from {root}) is missing from the server context");
            Assert.Equal(server.Kind, device.Kind);
            Assert.Equal(Describe(server), Describe(device));
            foreach (var p in device.Properties)
            {
                pending.Enqueue(p.PropertyType);
            }
            if (device.ElementType is { } element)
            {
                pending.Enqueue(element);
            }
        }
        Assert.True(seen.Count >= 1);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_mesh_update_written_by_the_server_reads_back_the_same_on_the_device()
    {
        var json = """
            {"kind":"delta","nodeId":"n1","name":"a","fromVersion":3,"toVersion":4,"issuedAt":"2026-12-05T14:00:00+00:00",
             "interface":{"network":"home","addresses":["10.0.0.1/24"],"listenPort":51821,"mtu":1420,"relay":true},
             "upsertPeers":[{"nodeId":"n2","name":"b","publicKey":"k","allowedIps":["10.0.0.2/32"],"endpoint":"192.0.2.1:51821",
                             "endpoints":["192.0.2.1:51821"],"persistentKeepalive":20,"relay":true}],
             "removePeers":["n3"],"dns":{"zone":"home","records":[{"name":"x","type":"A","value":"10.0.0.9"}]},
             "network":"home","except":["n4"],"part":1,"parts":2,"partDigests":["d1"],"epoch":"e","serverId":"s","nextSigningKey":"nk"}
            """;
        var server = JsonSerializer.Deserialize(json, ApplianceJsonContext.Default.MeshUpdate)!;
        var device = JsonSerializer.Deserialize(json, DeviceJsonContext.Default.MeshUpdate)!;
        Assert.Equal(JsonSerializer.Serialize(server, ApplianceJsonContext.Default.MeshUpdate), JsonSerializer.Serialize(device, DeviceJsonContext.Default.MeshUpdate));
        Assert.Equal(JsonSerializer.Serialize(server, ApplianceJsonContext.Default.MeshUpdate), JsonSerializer.Serialize(server, DeviceJsonContext.Default.MeshUpdate));
    }

    /// <summary>The built agent and the device libraries it loads name the server's context nowhere.</summary>
    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public void Device_assemblies_do_not_reference_the_servers_context()
    {
        var dir = Path.GetDirectoryName(typeof(DeviceJsonContextTests).Assembly.Location)!;
        var device = new[] { "appliance-agent.dll", "Appliance.Gateway.dll", "Appliance.Dns.dll", "Appliance.Hardware.dll", "Appliance.Hardware.Display.dll", "Appliance.Mqtt.dll", "Appliance.WireGuard.dll", "Appliance.Crypto.dll" };
        var problems = new List<string>();
        foreach (var name in device)
        {
            var path = Path.Combine(dir, name);
            Assert.True(File.Exists(path), $"{path} is missing");
            using var pe = new PEReader(File.OpenRead(path));
            var md = pe.GetMetadataReader();
            foreach (var handle in md.TypeReferences)
            {
                if (md.GetString(md.GetTypeReference(handle).Name) == nameof(ApplianceJsonContext))
                {
                    problems.Add(name);
                }
            }
        }
        Assert.True(problems.Count == 0, $"device code uses the server's JSON context: {string.Join(", ", problems)}");
    }

    private static List<string> Describe(JsonTypeInfo info) =>
        [.. info.Properties.Select(p => $"{p.Name}:{p.PropertyType}:{p.Order}:{p.IsRequired}:{p.Get is null}:{p.Set is null}:{p.ShouldSerialize is null}")];
}
