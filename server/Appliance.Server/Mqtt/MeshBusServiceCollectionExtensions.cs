using Appliance.Server.Configuration;

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
        services.AddSingleton<IRabbitMqManagement>(sp => sp.GetRequiredService<MqttSettings>().RabbitMq is { } r
            ? new RabbitMqManagementClient(r.ManagementUrls, r.AdminUser, r.AdminPassword, r.CaFile is { } ca ? MqttSettings.LoadCaFile(ca, "Mqtt:RabbitMq:CaFile") : null)
            : throw new InvalidOperationException("Mqtt:Broker is not rabbitmq"));
        services.AddSingleton<RabbitMqBrokerAccounts>();
        services.AddSingleton<IExternalBrokerAccounts>(sp => sp.GetRequiredService<MqttSettings>().UsesRabbitMq
            ? sp.GetRequiredService<RabbitMqBrokerAccounts>()
            : sp.GetRequiredService<MosquittoBrokerAccounts>());
        services.AddSingleton(sp => Endpoints(sp.GetRequiredService<MqttSettings>(), sp.GetRequiredService<ServerOptions>()));
        services.AddSingleton<ExternalMeshBus>();
        services.AddSingleton<IMeshBus>(sp => sp.GetRequiredService<MqttSettings>() is { UsesMosquitto: true } or { UsesRabbitMq: true }
            ? sp.GetRequiredService<ExternalMeshBus>()
            : new EmbeddedMeshBus(sp.GetRequiredService<BrokerHost>()));
        services.AddSingleton<IBrokerAccounts>(sp => sp.GetRequiredService<MqttSettings>() is { UsesMosquitto: true } or { UsesRabbitMq: true }
            ? sp.GetRequiredService<IExternalBrokerAccounts>()
            : new EmbeddedBrokerAccounts(sp.GetRequiredService<BrokerHost>()));
        services.AddHostedService(sp => sp.GetRequiredService<IMeshBus>());
        return services;
    }

    private static ExternalBrokerEndpoints Endpoints(MqttSettings mqtt, ServerOptions options)
    {
        if (mqtt.RabbitMq is { } rabbit)
        {
            return new ExternalBrokerEndpoints(rabbit.Urls, rabbit.CaFile, rabbit.DeviceUrls);
        }
        var mosquitto = mqtt.Mosquitto ?? throw new InvalidOperationException("Mqtt:Broker is not an external broker");
        // Mqtt:PublicUrl, else Mosquitto's URL with the host devices reach the server by.
        var device = mqtt.PublicUrl ?? $"{mosquitto.Url.Scheme}://{new Uri(options.PublicUrl).Host}:{mosquitto.Url.Port}";
        return new ExternalBrokerEndpoints([mosquitto.Url], mosquitto.CaFile, [device]);
    }
}
