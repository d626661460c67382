using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// One three-node RabbitMQ cluster for all tests of a class (a node takes seconds to boot). Three, not two: the MQTT
/// plugin of RabbitMQ 3.10 registers client ids in a Raft group, so it accepts connections only while a majority of
/// the nodes runs; two nodes lose that majority with either one.
/// </summary>
public sealed class RabbitMqClusterFixture : IAsyncLifetime
{
    public const int Size = 3;

    private RabbitMqCluster? _cluster;

    public RabbitMqCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster did not start");

    public async Task InitializeAsync() => _cluster = await RabbitMqCluster.StartAsync(Size);

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
