using Appliance.TestSupport;

namespace Appliance.Architecture.Tests;

/// <summary>
/// The server's rooms (its top-level folders, one namespace each) depend one way (issue #14): Api → Services → Store,
/// Mesh and Domain; the store knows nothing of who calls it; Domain and Configuration are leaves. Checked on the
/// compiled assembly's type references (signatures, generic arguments, attributes and every token in method bodies,
/// lambdas counted with their method), so a dependency hidden in a lambda or a fully qualified name counts too.
/// </summary>
public sealed class ServerRoomsTests
{
    private const string Prefix = "Appliance.Server.";

    /// <summary>Room → the rooms it must not use, and why.</summary>
    private static readonly (string Room, string[] Forbidden, string Why)[] Rules =
    [
        ("Api", ["Store", "Mesh", "Mqtt", "Hosting", "Cli"], "endpoints map HTTP to service calls; the services reach the store and the mesh"),
        ("WebConsole", ["Store", "Mesh", "Mqtt", "Hosting", "Cli"], "the console's pages and routes use the services, like the API"),
        ("Services", ["Api", "WebConsole", "Hosting", "Cli"], "services are called by the API, never the other way"),
        ("Store", ["Api", "WebConsole", "Services", "Mesh", "Mqtt", "Hosting", "Cli"], "the store records change; it does not know who listens"),
        ("Mesh", ["Api", "WebConsole", "Services", "Hosting", "Cli"], "the mesh computes desired state from the store's changes, not from the API or the services"),
        ("Domain", ["Api", "WebConsole", "Services", "Store", "Mesh", "Mqtt", "Hosting", "Cli", "Security", "Configuration", "Ipam"], "records and rules are a leaf"),
        ("Metrics", ["Api", "WebConsole", "Services", "Store", "Mesh", "Mqtt", "Hosting", "Cli", "Security", "Configuration", "Ipam", "Domain"], "counters and the text format are a leaf: the services read the rest"),
        ("Configuration", ["Api", "WebConsole", "Services", "Store", "Mesh", "Mqtt", "Hosting", "Cli", "Security", "Domain", "Ipam"], "options are parsed from configuration alone"),
    ];

    /// <summary>Types of the HTTP layer that only Api, Security (authentication) and Hosting may touch.</summary>
    private static readonly string[] HttpTypes =
    [
        "Microsoft.AspNetCore.Http.HttpContext", "Microsoft.AspNetCore.Http.StatusCodes", "Microsoft.AspNetCore.Http.HttpRequest",
        "Microsoft.AspNetCore.Http.HttpResponse", "Microsoft.AspNetCore.Http.IResult", "Microsoft.AspNetCore.Http.Results",
        "Microsoft.AspNetCore.Http.TypedResults", "Microsoft.AspNetCore.Http.BadHttpRequestException",
    ];

    private static readonly string[] HttpFree = ["Services", "Store", "Mesh", "Domain", "Configuration"];

    private static IReadOnlyDictionary<string, IReadOnlySet<string>> ServerTypes()
    {
        var config = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        return TypeReferenceScanner.Scan(RepoPaths.Combine("server", "Appliance.Server", "bin", config, "net10.0", "appliance-server.dll"));
    }

    /// <summary>"Appliance.Server.Services.Validation.FieldRules" → "Services"; null for types outside the server's rooms.</summary>
    private static string? RoomOf(string type) =>
        type.StartsWith(Prefix, StringComparison.Ordinal) && type.IndexOf('.', Prefix.Length) is var dot and > 0 ? type[Prefix.Length..dot] : null;

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public void The_scan_sees_the_rooms_and_their_uses()
    {
        var types = ServerTypes();
        var rooms = types.Keys.Select(RoomOf).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var room in Rules.Select(r => r.Room))
        {
            Assert.Contains(room, rooms);
        }
        // Known edges, one of each kind of use, so a scanner that sees nothing cannot pass the rules below.
        Assert.Contains("Appliance.Server.Store.IApplianceStore", types["Appliance.Server.Services.NodeService"]); // constructor parameter
        Assert.Contains("Appliance.Server.Domain.DomainException", types["Appliance.Server.Services.NodeService"]); // thrown inside a lambda
        Assert.Contains("Appliance.Server.Services.NodeService", types["Appliance.Server.Api.NodeEndpoints"]); // a lambda's parameter
        Assert.Contains("Appliance.Server.Domain.DomainException", types["Appliance.Server.Api.ProblemMiddleware"]); // a catch clause
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public void Rooms_depend_one_way()
    {
        var problems = new List<string>();
        foreach (var (type, uses) in ServerTypes().OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var room = RoomOf(type);
            var rule = Rules.FirstOrDefault(r => r.Room == room);
            if (rule.Room is null)
            {
                continue;
            }
            foreach (var used in uses.Order(StringComparer.Ordinal))
            {
                if (RoomOf(used) is { } other && rule.Forbidden.Contains(other))
                {
                    problems.Add($"{type} uses {used}: {room} must not use {other} ({rule.Why})");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public void Only_the_edge_touches_http()
    {
        var problems = ServerTypes()
            .Where(t => RoomOf(t.Key) is { } room && HttpFree.Contains(room))
            .SelectMany(t => t.Value.Where(HttpTypes.Contains).Select(u => $"{t.Key} uses {u}"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
