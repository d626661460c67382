namespace Appliance.Server.Metrics;

/// <summary>The server-side stages of one change, from the API request to the broker (<see cref="ChangeStageCounters"/>).</summary>
public enum ChangeStage
{
    /// <summary>A join's HTTP request, from the pipeline's first middleware to its answer written (the store write inside it included).</summary>
    JoinRequest,

    /// <summary>A write transaction of the store, from its lock taken to its commit and the sinks told.</summary>
    StoreWrite,

    /// <summary>The mesh's computation: change sets applied to the network's view, the peer changes, who gets what.</summary>
    MeshCompute,

    /// <summary>Encoding (JSON) and signing of each update sent.</summary>
    Seal,

    /// <summary>Handing each signed update to the mesh bus (the embedded broker routes and queues it for every subscriber here).</summary>
    BrokerHandoff,
}
