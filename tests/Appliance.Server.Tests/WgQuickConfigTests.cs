using System.Net;
using Appliance.Server.Domain;
using Appliance.Server.Services;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>The ext client's wg-quick file, as golden text.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class WgQuickConfigTests
{
    internal const string PrivateKey = "oK56DE9Ue9zK76rAc8pBl6opph+1v36lm7cXXsQKrQM=";

    private static readonly NodeRecord Gateway = GatewayConfigTests.Node(1);

    private static readonly EgressRecord[] Egress =
    [
        new("n1", "home", [IPNetwork.Parse("192.168.1.0/24"), IPNetwork.Parse("0.0.0.0/0")], true, DateTimeOffset.UnixEpoch),
        new("n2", "home", [IPNetwork.Parse("172.16.0.0/16"), IPNetwork.Parse("::/0")], true, DateTimeOffset.UnixEpoch),
    ];

    [Fact]
    public void Server_generated_client_with_default_dns()
    {
        var client = GatewayConfigTests.Client(1, "n1", privateKey: PrivateKey);
        var text = WgQuickConfig.Render(client, Gateway, new IngressRecord("n1", "home", true, [], DateTimeOffset.UnixEpoch),
            GatewayConfigTests.Net, Egress, "home", "192.0.2.1:51821");
        Assert.Equal(
            """
            # phone1: ext client of network 'home' through gateway 'node1' (Appliance)
            [Interface]
            Address = 10.10.0.51/32, fd10::33/128
            PrivateKey = oK56DE9Ue9zK76rAc8pBl6opph+1v36lm7cXXsQKrQM=
            DNS = 10.10.0.1, home
            MTU = 1420

            [Peer]
            PublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=
            Endpoint = 192.0.2.1:51821
            AllowedIPs = 10.10.0.0/24, fd10::/64, 192.168.1.0/24, 0.0.0.0/0, 172.16.0.0/16
            PersistentKeepalive = 20

            """.ReplaceLineEndings("\n"), text);
    }

    [Fact]
    public void Client_supplied_key_gets_a_placeholder_and_custom_dns_replaces_the_gateway()
    {
        var client = GatewayConfigTests.Client(2, "n1");
        var text = WgQuickConfig.Render(client, Gateway, new IngressRecord("n1", "home", true, ["1.1.1.1", "corp.example"], DateTimeOffset.UnixEpoch),
            GatewayConfigTests.Net with { Keepalive = 0, Ipv6Cidr = null }, [], "home.mesh.internal", "[2001:db8::1]:51821");
        Assert.Equal(
            """
            # phone2: ext client of network 'home' through gateway 'node1' (Appliance)
            [Interface]
            Address = 10.10.0.52/32, fd10::34/128
            # PrivateKey = <fill in the private key of this client's public key; the server never saw it>
            DNS = 1.1.1.1, corp.example
            MTU = 1420

            [Peer]
            PublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=
            Endpoint = [2001:db8::1]:51821
            AllowedIPs = 10.10.0.0/24

            """.ReplaceLineEndings("\n"), text);
    }
}
