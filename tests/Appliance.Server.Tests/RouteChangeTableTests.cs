using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.Server.Domain;
using Appliance.Server.Store;
using Appliance.TestSupport;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// The store owns change (issue #14): every mutating route of the API, called with a valid request, commits exactly
/// the changes members must hear of, and nothing else; read-only routes commit none. The routes come from the app's
/// own endpoints, so a route added later without a row here fails the table.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class RouteChangeTableTests : IDisposable
{
    private static readonly HashSet<string> Mutating = new(StringComparer.Ordinal) { "POST", "PUT", "PATCH", "DELETE" };

    private readonly ServerFactory _server = new();
    private readonly RecordingSink _sink = new();
    private readonly HttpClient _admin;
    private int _networks;

    public RouteChangeTableTests()
    {
        _admin = _server.Admin(); // starts the host: the store exists from here on
        _server.Store.AddChangeSink(_sink);
    }

    public void Dispose()
    {
        _admin.Dispose();
        _server.Dispose();
    }

    /// <summary>Records what each committed write handed the store's sinks.</summary>
    private sealed class RecordingSink : IStoreChangeSink
    {
        private readonly List<IReadOnlyList<NetworkChangeSet>> _writes = [];

        public void Committed(IReadOnlyList<NetworkChangeSet> changes)
        {
            lock (_writes)
            {
                _writes.Add(changes);
            }
        }

        public IReadOnlyList<IReadOnlyList<NetworkChangeSet>> Take()
        {
            lock (_writes)
            {
                var taken = _writes.ToList();
                _writes.Clear();
                return taken;
            }
        }
    }

    /// <summary>What a row's request should commit: nothing (network null), or one write with exactly these changes in this network.</summary>
    private sealed record Case(Func<Task<HttpResponseMessage>> Request, string? Network, params StoreChange[] Expected)
    {
        /// <summary>Whether the route changes a stored row, and so leaves one activity entry: any row that tells members, and the few that change rows members never see.</summary>
        public bool Logged { get; init; } = Network is not null;

        /// <summary>Who the activity entry must name (kind and actor); the admin token by default.</summary>
        public (ActivityActorKind Kind, string Actor)? Actor { get; init; }

        /// <summary>For a route that makes a record: its change, read from the response (the new id is known only then).</summary>
        public Func<HttpResponseMessage, Task<StoreChange>>? Created { get; init; }
    }

    private static StoreChange Network() => new(ChangeKind.Network, string.Empty);
    private static StoreChange Node(string id) => new(ChangeKind.Node, id);
    private static StoreChange Ingress(string id) => new(ChangeKind.Ingress, id);
    private static StoreChange Egress(string id) => new(ChangeKind.Egress, id);
    private static StoreChange ExtClient(string id) => new(ChangeKind.ExtClient, id);
    private static StoreChange DnsEntries() => new(ChangeKind.DnsEntries, string.Empty);
    private static StoreChange Policy() => new(ChangeKind.Policy, string.Empty);
    private const string AllowAll = "{ \"rules\": [ { \"from\": [\"*\"], \"to\": [\"*\"], \"ports\": [\"*\"] } ] }";

    /// <summary>"METHOD /pattern" → the row: the set-up it needs (its own network), then the request and what it must commit.</summary>
    private Dictionary<string, Func<Task<Case>>> Table() => new(StringComparer.Ordinal)
    {
        ["POST /api/v1/networks/"] = () =>
        {
            var n = ++_networks;
            // A new network has no members to tell: nothing to record.
            return Task.FromResult(new Case(() => _admin.PostAsJsonAsync("/api/v1/networks", new CreateNetworkRequest { Name = $"r{n}", Ipv4Cidr = $"10.{n}.0.0/24" }), null) { Logged = true });
        },
        ["PATCH /api/v1/networks/{name}"] = async () =>
        {
            var net = await NetworkAsync();
            return new Case(() => _admin.PatchAsJsonAsync($"/api/v1/networks/{net.Name}", new UpdateNetworkRequest { Mtu = 1380 }), net.Name, Network());
        },
        ["DELETE /api/v1/networks/{name}"] = async () =>
        {
            var net = await NetworkAsync();
            var a = await _server.JoinAsync(net.Key, "a");
            return new Case(() => _admin.DeleteAsync($"/api/v1/networks/{net.Name}?force=true"), net.Name, Network(), Node(a.NodeId));
        },
        ["POST /api/v1/enrollment-keys/"] = async () =>
        {
            var net = await NetworkAsync();
            return new Case(() => _admin.PostAsJsonAsync("/api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = [net.Name] }), null) { Logged = true };
        },
        ["DELETE /api/v1/enrollment-keys/{id}"] = async () =>
        {
            var net = await NetworkAsync();
            return new Case(() => _admin.DeleteAsync($"/api/v1/enrollment-keys/{net.Key.Id}"), null) { Logged = true };
        },
        ["POST /api/v1/join"] = async () =>
        {
            var net = await NetworkAsync();
            return new Case(() => _server.JoinRawAsync(net.Key, "fresh"), net.Name)
            {
                Actor = (ActivityActorKind.Node, $"fresh (key {net.Key.Id})"),
                Created = async r => Node((await r.Content.ReadFromJsonAsync<JoinResponse>())!.NodeId),
            };
        },
        ["PATCH /api/v1/nodes/{id}"] = async () =>
        {
            var net = await NetworkAsync();
            var a = await _server.JoinAsync(net.Key, "a");
            return new Case(() => _admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { Name = "renamed" }), net.Name, Node(a.NodeId));
        },
        ["POST /api/v1/nodes/{id}/identify"] = async () =>
        {
            // A one-off command to the node: no record changes.
            var net = await NetworkAsync();
            var a = await _server.JoinAsync(net.Key, "a");
            return new Case(() => _admin.PostAsync($"/api/v1/nodes/{a.NodeId}/identify", null), null);
        },
        ["DELETE /api/v1/nodes/{id}"] = async () =>
        {
            // A gateway with both roles and an ext client: they all go with it.
            var net = await NetworkAsync();
            var gw = await _server.JoinAsync(net.Key, "gw");
            await OkAsync(_admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/ingress", new IngressRequest()));
            await OkAsync(_admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/egress", new EgressRequest { Ranges = ["192.168.50.0/24"] }));
            var client = await ExtClientAsync(net.Name, gw.NodeId);
            return new Case(() => _admin.DeleteAsync($"/api/v1/nodes/{gw.NodeId}"), net.Name,
                Node(gw.NodeId), Ingress(gw.NodeId), Egress(gw.NodeId), ExtClient(client));
        },
        ["DELETE /api/v1/node/"] = async () =>
        {
            var net = await NetworkAsync();
            var a = await _server.JoinAsync(net.Key, "a");
            return new Case(async () =>
            {
                using var self = _server.As(a.Credential);
                return await self.DeleteAsync("/api/v1/node");
            }, net.Name, Node(a.NodeId)) { Actor = (ActivityActorKind.Node, a.NodeId) };
        },
        ["PUT /api/v1/nodes/{id}/ingress"] = async () =>
        {
            var net = await NetworkAsync();
            var gw = await _server.JoinAsync(net.Key, "gw");
            return new Case(() => _admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/ingress", new IngressRequest { Nat = false }), net.Name, Ingress(gw.NodeId));
        },
        ["DELETE /api/v1/nodes/{id}/ingress"] = async () =>
        {
            var net = await NetworkAsync();
            var gw = await _server.JoinAsync(net.Key, "gw");
            await OkAsync(_admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/ingress", new IngressRequest()));
            var client = await ExtClientAsync(net.Name, gw.NodeId);
            return new Case(() => _admin.DeleteAsync($"/api/v1/nodes/{gw.NodeId}/ingress?force=true"), net.Name, Ingress(gw.NodeId), ExtClient(client));
        },
        ["PUT /api/v1/nodes/{id}/egress"] = async () =>
        {
            // The gateway loses its default route: the node that sent its internet traffic there is changed too.
            var net = await NetworkAsync();
            var (gw, user) = await InternetGatewayAsync(net);
            return new Case(() => _admin.PutAsJsonAsync($"/api/v1/nodes/{gw}/egress", new EgressRequest { Ranges = ["192.168.50.0/24"] }), net.Name,
                Egress(gw), Node(user));
        },
        ["DELETE /api/v1/nodes/{id}/egress"] = async () =>
        {
            var net = await NetworkAsync();
            var (gw, user) = await InternetGatewayAsync(net);
            return new Case(() => _admin.DeleteAsync($"/api/v1/nodes/{gw}/egress"), net.Name, Egress(gw), Node(user));
        },
        ["PUT /api/v1/nodes/{id}/relay"] = async () =>
        {
            var net = await NetworkAsync();
            var relay = await _server.JoinAsync(net.Key, "relay", ["198.51.100.9"]);
            return new Case(() => _admin.PutAsync($"/api/v1/nodes/{relay.NodeId}/relay", null), net.Name, Node(relay.NodeId));
        },
        ["DELETE /api/v1/nodes/{id}/relay"] = async () =>
        {
            var net = await NetworkAsync();
            var relay = await _server.JoinAsync(net.Key, "relay", ["198.51.100.9"]);
            await OkAsync(_admin.PutAsync($"/api/v1/nodes/{relay.NodeId}/relay", null));
            return new Case(() => _admin.DeleteAsync($"/api/v1/nodes/{relay.NodeId}/relay"), net.Name, Node(relay.NodeId));
        },
        ["POST /api/v1/networks/{name}/ext-clients/"] = async () =>
        {
            var net = await NetworkAsync();
            var gw = await _server.JoinAsync(net.Key, "gw");
            await OkAsync(_admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/ingress", new IngressRequest()));
            return new Case(() => _admin.PostAsJsonAsync($"/api/v1/networks/{net.Name}/ext-clients", new CreateExtClientRequest { Gateway = gw.NodeId, Name = "phone" }), net.Name)
            {
                Created = async r => ExtClient((await r.Content.ReadFromJsonAsync<ExtClientDto>())!.Id),
            };
        },
        ["PATCH /api/v1/ext-clients/{id}/"] = async () =>
        {
            var net = await NetworkAsync();
            var gw = await _server.JoinAsync(net.Key, "gw");
            await OkAsync(_admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/ingress", new IngressRequest()));
            var client = await ExtClientAsync(net.Name, gw.NodeId);
            return new Case(() => _admin.PatchAsJsonAsync($"/api/v1/ext-clients/{client}", new UpdateExtClientRequest { Enabled = false }), net.Name, ExtClient(client));
        },
        ["DELETE /api/v1/ext-clients/{id}/"] = async () =>
        {
            var net = await NetworkAsync();
            var gw = await _server.JoinAsync(net.Key, "gw");
            await OkAsync(_admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/ingress", new IngressRequest()));
            var client = await ExtClientAsync(net.Name, gw.NodeId);
            return new Case(() => _admin.DeleteAsync($"/api/v1/ext-clients/{client}"), net.Name, ExtClient(client));
        },
        ["POST /api/v1/networks/{name}/dns/"] = async () =>
        {
            var net = await NetworkAsync();
            return new Case(() => _admin.PostAsJsonAsync($"/api/v1/networks/{net.Name}/dns", new CreateDnsEntryRequest { Name = "printer", Type = "A", Value = "192.168.50.9" }),
                net.Name, DnsEntries());
        },
        ["DELETE /api/v1/networks/{name}/dns/{id}"] = async () =>
        {
            var net = await NetworkAsync();
            var entry = await OkAsync<DnsEntryDto>(_admin.PostAsJsonAsync($"/api/v1/networks/{net.Name}/dns", new CreateDnsEntryRequest { Name = "printer", Type = "A", Value = "192.168.50.9" }));
            return new Case(() => _admin.DeleteAsync($"/api/v1/networks/{net.Name}/dns/{entry.Id}"), net.Name, DnsEntries());
        },
        ["PUT /api/v1/networks/{name}/policy/"] = async () =>
        {
            var net = await NetworkAsync();
            return new Case(() => _admin.PutAsync($"/api/v1/networks/{net.Name}/policy", new StringContent(AllowAll)), net.Name, Policy());
        },
        ["POST /api/v1/networks/{name}/policy/test"] = async () =>
        {
            // Evaluated, never stored.
            var net = await NetworkAsync();
            return new Case(() => _admin.PostAsync($"/api/v1/networks/{net.Name}/policy/test", new StringContent(AllowAll)), null);
        },
        ["DELETE /api/v1/networks/{name}/policy/"] = async () =>
        {
            var net = await NetworkAsync();
            await OkAsync(_admin.PutAsync($"/api/v1/networks/{net.Name}/policy", new StringContent(AllowAll)));
            return new Case(() => _admin.DeleteAsync($"/api/v1/networks/{net.Name}/policy"), net.Name, Policy());
        },
        // The web console's own routes: sessions live in memory and QR codes are drawn; no record changes.
        ["POST /console/sign-in"] = async () =>
        {
            var (client, body) = await ConsoleSignIn.FormAsync(_server);
            return new Case(() => client.PostAsJsonAsync("/console/sign-in", body), null);
        },
        ["POST /console/sign-out"] = () => Task.FromResult(new Case(() => _admin.PostAsync("/console/sign-out", null), null)),
        ["POST /console/qr"] = () => Task.FromResult(new Case(() => _admin.PostAsJsonAsync("/console/qr", new { text = "hello" }), null)),
        ["POST /api/v1/signing-key/rotate"] = async () =>
        {
            // The announcement goes to every node by its own path; no network record changes.
            var net = await NetworkAsync();
            await _server.JoinAsync(net.Key, "a");
            return new Case(() => _admin.PostAsync("/api/v1/signing-key/rotate", null), null) { Logged = true };
        },
    };

    [Fact]
    public async Task Every_mutating_route_commits_exactly_the_changes_of_its_row()
    {
        var routes = Routes().Where(r => Mutating.Contains(r.Method)).Select(r => $"{r.Method} {r.Pattern}").ToHashSet(StringComparer.Ordinal);
        var table = Table();
        Assert.True(routes.SetEquals(table.Keys),
            $"mutating routes without a row: {string.Join(", ", routes.Except(table.Keys))}; rows without a route: {string.Join(", ", table.Keys.Except(routes))}");

        var failures = new List<string>();
        foreach (var (route, setUp) in table.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var row = await setUp();
            _sink.Take(); // what the set-up committed
            var lastEntry = await LastActivityIdAsync();
            var expected = row.Expected.ToList();
            using (var response = await row.Request())
            {
                if (!response.IsSuccessStatusCode)
                {
                    failures.Add($"{route}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    continue;
                }
                if (row.Created is { } created)
                {
                    expected.Add(await created(response));
                }
            }
            var writes = _sink.Take();
            var want = row.Network is null ? "nothing" : $"one write: {row.Network} [{Show(expected)}]";
            var got = writes.Count == 0 ? "nothing"
                : string.Join(" | ", writes.Select(w => (writes.Count == 1 ? "one write: " : "write: ") + string.Join(", ", w.Select(set => $"{set.Network} [{Show(set.Changes)}]"))));
            if (want != got)
            {
                failures.Add($"{route}: expected {want}, committed {got}");
            }
            // The activity log: one entry naming the actor for a route that changed a row, none for one that did not.
            var entries = await ActivitySinceAsync(lastEntry);
            var (kind, actor) = row.Actor ?? (ActivityActorKind.Token, "admin token");
            var wantEntries = row.Logged ? $"one entry: {kind} {actor} in {row.Network ?? "-"}" : "no entry";
            var gotEntries = entries.Count == 0 ? "no entry"
                : string.Join(" | ", entries.Select(e => (entries.Count == 1 ? "one entry: " : "entry: ") + $"{e.ActorKind} {e.Actor} in {(row.Network is null ? "-" : e.Network)}"));
            if (wantEntries != gotEntries)
            {
                failures.Add($"{route}: expected {wantEntries}, logged {gotEntries}");
            }
            else if (entries.Count == 1 && !entries[0].Action.StartsWith(route.Split(' ')[0] + " /", StringComparison.Ordinal))
            {
                failures.Add($"{route}: the entry's action is '{entries[0].Action}'");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Names and ids only: no admin token, enrollment key, node credential or hash in any entry.
        var all = await _server.Store.ReadAsync(s => s.ListActivity(null, null, ActivityLog.MaxPage));
        Assert.NotEmpty(all);
        foreach (var e in all)
        {
            var text = $"{e.Actor} {e.Action} {e.Network} {e.Summary}";
            Assert.DoesNotContain(Appliance.Server.Security.Secrets.AdminPrefix, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Appliance.Server.Security.Secrets.EnrollmentKeyPrefix, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Appliance.Server.Security.Secrets.NodePrefix, text, StringComparison.Ordinal);
            Assert.DoesNotMatch("[0-9a-f]{64}", text); // a SHA-256 hash as the store keeps them
        }
    }

    private Task<long> LastActivityIdAsync() =>
        _server.Store.ReadAsync(s => s.ListActivity(null, null, 1) is [var last, ..] ? last.Id : 0L);

    private Task<List<ActivityRecord>> ActivitySinceAsync(long id) =>
        _server.Store.ReadAsync(s => s.ListActivity(null, null, ActivityLog.MaxPage).Where(e => e.Id > id).ToList());

    [Fact]
    public async Task Read_only_routes_commit_nothing()
    {
        var net = await NetworkAsync();
        var gw = await _server.JoinAsync(net.Key, "gw");
        await OkAsync(_admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/ingress", new IngressRequest()));
        var client = await ExtClientAsync(net.Name, gw.NodeId);
        await OkAsync(_admin.PutAsync($"/api/v1/networks/{net.Name}/policy", new StringContent(AllowAll)));
        using var self = _server.As(gw.Credential);
        _sink.Take();
        var lastEntry = await LastActivityIdAsync();

        var gets = Routes().Where(r => r.Method is "GET").Select(r => r.Pattern).Distinct().ToList();
        Assert.Contains("/api/v1/node/config", gets); // the node's own GET writes (last-seen): still no change to tell
        var failures = new List<string>();
        foreach (var pattern in gets)
        {
            var path = pattern
                .Replace("{name}", net.Name, StringComparison.Ordinal)
                .Replace("{documentName}", "v1", StringComparison.Ordinal)
                .Replace("{network}", net.Name, StringComparison.Ordinal)
                .Replace("{file}", "app.js", StringComparison.Ordinal)
                .Replace("{id}", pattern.StartsWith("/api/v1/ext-clients/", StringComparison.Ordinal) ? client : gw.NodeId, StringComparison.Ordinal);
            var caller = pattern.StartsWith("/api/v1/node/", StringComparison.Ordinal) ? self : _admin;
            // Headers only: the console's event stream never ends (disposing the response closes it).
            using var response = await caller.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            if (!response.IsSuccessStatusCode)
            {
                failures.Add($"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
            if (_sink.Take() is { Count: > 0 } writes)
            {
                failures.Add($"GET {path} committed {string.Join(" | ", writes.Select(w => string.Join(", ", w.Select(set => $"{set.Network} [{Show(set.Changes)}]"))))}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Empty(await ActivitySinceAsync(lastEntry));
    }

    /// <summary>Every route the app maps: its method and its whole pattern (groups included).</summary>
    private List<(string Method, string Pattern)> Routes() =>
        [.. _server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, e.RoutePattern.RawText ?? string.Empty)))];

    private static string Show(IEnumerable<StoreChange> changes) =>
        string.Join(", ", changes.Select(c => c.Id.Length == 0 ? c.Kind.ToString() : $"{c.Kind}({c.Id})").Order(StringComparer.Ordinal));

    private sealed record Net(string Name, EnrollmentKeyDto Key);

    /// <summary>A network of the row's own, with a key to join it.</summary>
    private async Task<Net> NetworkAsync()
    {
        var n = ++_networks;
        var network = await _server.CreateNetworkAsync($"r{n}", $"10.{n}.0.0/24");
        return new Net(network.Name, await _server.CreateKeyAsync(network.Name));
    }

    /// <summary>A node with a default route as egress, and another node that uses it as its internet gateway.</summary>
    private async Task<(string Gateway, string User)> InternetGatewayAsync(Net net)
    {
        var gw = await _server.JoinAsync(net.Key, "gw");
        var user = await _server.JoinAsync(net.Key, "user");
        await OkAsync(_admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/egress", new EgressRequest { Ranges = ["0.0.0.0/0"] }));
        await OkAsync(_admin.PatchAsJsonAsync($"/api/v1/nodes/{user.NodeId}", new UpdateNodeRequest { InternetGateway = gw.NodeId }));
        return (gw.NodeId, user.NodeId);
    }

    private async Task<string> ExtClientAsync(string network, string gateway) =>
        (await OkAsync<ExtClientDto>(_admin.PostAsJsonAsync($"/api/v1/networks/{network}/ext-clients", new CreateExtClientRequest { Gateway = gateway }))).Id;

    private static async Task OkAsync(Task<HttpResponseMessage> call)
    {
        using var r = await call;
        await Http.EnsureAsync(r);
    }

    private static async Task<T> OkAsync<T>(Task<HttpResponseMessage> call)
    {
        using var r = await call;
        await Http.EnsureAsync(r);
        return (await r.Content.ReadFromJsonAsync<T>())!;
    }
}
