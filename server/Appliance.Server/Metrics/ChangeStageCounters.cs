using Appliance.Broker;

namespace Appliance.Server.Metrics;

/// <summary>
/// Where a change's server CPU goes, per stage (<see cref="ChangeStage"/>): runs, wall time and the threads' CPU time,
/// accumulated since the server started and read by <c>GET /metrics</c>. The embedded broker's own fan-out (its
/// connections' TLS writes) is counted by the broker (<see cref="MqttBrokerMetrics.Writes"/>). Always on: each run
/// costs two reads of the clocks.
/// </summary>
public sealed class ChangeStageCounters
{
    private readonly StageCounter[] _stages = [.. Enum.GetValues<ChangeStage>().Select(_ => new StageCounter())];

    /// <summary>The counter of one stage.</summary>
    public StageCounter this[ChangeStage stage] => _stages[(int)stage];

    /// <summary>Ends a run of <paramref name="stage"/> begun by <see cref="StageCounter.Start"/>.</summary>
    public void Stop(ChangeStage stage, StageStart start) => _stages[(int)stage].Stop(start);

    /// <summary>The label a stage has in the metrics: <c>join_request</c>, <c>store_write</c>...</summary>
    public static string Label(ChangeStage stage) => stage switch
    {
        ChangeStage.JoinRequest => "join_request",
        ChangeStage.StoreWrite => "store_write",
        ChangeStage.MeshCompute => "mesh_compute",
        ChangeStage.Seal => "seal",
        ChangeStage.BrokerHandoff => "broker_handoff",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "no such stage"),
    };
}
