namespace Appliance.Server.Mqtt;

/// <summary>Registers the mesh bus and broker accounts chosen by <c>Mqtt:Broker</c>.</summary>
public static class MeshBusServiceCollectionExtensions
{
    public static IServiceCollection AddMeshBus(this IServiceCollection services)
    {
        services.AddSingleton(sp => MqttSettings.Parse(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<NodeMqttAuthenticator>();
        services.AddSingleton<BrokerHost>();
        services.AddSingleton<MosquittoBrokerAccounts>();
        services.AddSingleton<MosquittoMeshBus>();
        services.AddSingleton<IMeshBus>(sp => sp.GetRequiredService<MqttSettings>().UsesMosquitto
            ? sp.GetRequiredService<MosquittoMeshBus>()
            : new EmbeddedMeshBus(sp.GetRequiredService<BrokerHost>()));
        services.AddSingleton<IBrokerAccounts>(sp => sp.GetRequiredService<MqttSettings>().UsesMosquitto
            ? sp.GetRequiredService<MosquittoBrokerAccounts>()
            : new EmbeddedBrokerAccounts(sp.GetRequiredService<BrokerHost>()));
        services.AddHostedService(sp => sp.GetRequiredService<IMeshBus>());
        return services;
    }
}
