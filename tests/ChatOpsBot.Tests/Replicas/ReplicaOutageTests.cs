using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace ChatOpsBot.Tests;

/// <summary>Replicas on a PostgreSQL server of their own, which the tests stop and start under them.</summary>
[Trait("Provider", "Postgres")]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class ReplicaOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    private PostgresCluster _postgres = null!;
    private FakeSlackApi _slack = null!;
    private ReplicaHosts _hosts = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresCluster.StartAsync();
        await using (var connection = new NpgsqlConnection(_postgres.ServerConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE chatopsbot", connection);
            await create.ExecuteNonQueryAsync();
        }
        _slack = await FakeSlackApi.StartAsync();
        _hosts = new ReplicaHosts(ReplicaDatabase.For(_postgres.ConnectionString("chatopsbot")));
    }

    public async Task DisposeAsync()
    {
        await _hosts.DisposeAsync();
        await _postgres.DisposeAsync();
        await _slack.DisposeAsync();
    }

    [Fact]
    public async Task ReadinessFailsWhileTheDatabaseIsDownAndPassesAgainWhenItReturnsOnEveryReplica()
    {
        var replicas = await _hosts.StartAsync("A", "B");

        await _postgres.StopAsync();
        foreach (var replica in replicas)
            await Eventually.TrueAsync(async () => await replica.ReadinessAsync() == HttpStatusCode.ServiceUnavailable, Patience,
                () => $"{replica.Name} still reports ready with the database down:\n{_hosts.Logs()}");
        await _postgres.StartAgainAsync();
        foreach (var replica in replicas)
            await Eventually.TrueAsync(async () => await replica.ReadinessAsync() == HttpStatusCode.OK, Patience,
                () => $"{replica.Name} never became ready again:\n{_hosts.Logs()}");

        Assert.All(replicas, r => Assert.False(r.HasExited));
    }

    [Fact]
    public async Task ReadinessAnswers503RatherThanWaitingWhileTheDatabaseDoesNotAnswerAtAll()
    {
        await using var gate = TcpGate.Start(_postgres.Port);
        // Npgsql itself would wait 1024 s for a connection and for ever for a command: only the check's own deadline answers.
        var throughGate = new NpgsqlConnectionStringBuilder(_postgres.ConnectionString("chatopsbot")) { Port = gate.Port, Timeout = 1024, CommandTimeout = 0 };
        var replica = await _hosts.StartAsync("A", ReplicaDatabase.For(throughGate.ConnectionString));

        gate.BlackHole();
        // Each probe has the client's deadline (30 s): a /readyz that waited for the database would fail here.
        var whileSilent = await replica.ReadinessAsync();
        gate.Open();
        await Eventually.TrueAsync(async () => await replica.ReadinessAsync() == HttpStatusCode.OK, Patience,
            () => $"the replica never became ready again:\n{_hosts.Logs()}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, whileSilent);
    }

    [Fact]
    public async Task AnIdleReplicaServesEveryRequestAfterAPostgresRestartWithoutReusingABrokenConnection()
    {
        // No job server: nothing but these requests touches the pool, so nothing else finds the broken connections first.
        var replica = await _hosts.StartAsync("A", new Dictionary<string, string> { ["ChatOpsBot:Jobs:Enabled"] = "false" });
        var (buildId, _) = await replica.UploadAsync("demo");
        var (_, page) = await replica.MintAsync(buildId);
        var phone = replica.CreateClient();
        // Fills the pool with connections that the restart then breaks while they sit idle in it.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ => (await phone.GetAsync(page + "/manifest.plist")).Dispose()));

        await _postgres.RestartAsync();
        var afterwards = new List<HttpStatusCode>();
        try
        {
            // The page first: its queries go through EF Core (whose execution strategy retries once), the manifest's
            // lookup through its own statement (which does the same); whichever comes first meets the broken connections.
            for (var i = 0; i < 30; i++)
            {
                using var response = await phone.GetAsync(i % 2 == 1 ? page + "/manifest.plist" : page);
                afterwards.Add(response.StatusCode);
            }
            afterwards.AddRange(await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
            {
                using var response = await phone.GetAsync(i % 2 == 0 ? page + "/manifest.plist" : page);
                return response.StatusCode;
            })));
        }
        catch (HttpRequestException refused)
        {
            // Seen once in a full run: the replica process was gone after the restart. Its output says why.
            throw new InvalidOperationException($"Request {afterwards.Count + 1} after the restart failed ({refused.Message}):\n{_hosts.Logs()}", refused);
        }

        Assert.All(afterwards, status => Assert.Equal(HttpStatusCode.OK, status));
    }

    [Fact]
    public async Task EveryReplicaSurvivesAPostgresRestartUnderLoadAndKeepsEveryWriteItAcknowledged()
    {
        var replicas = await Task.WhenAll(new[] { "A", "B" }.Select(name => _hosts.StartAsync(name, ReplicaSlack.Settings(_slack, name))));
        var (buildId, ipa) = await replicas[0].UploadAsync("demo");
        await ReplicaSlack.SubscribeAsync(replicas[1], _slack, "C0RELEASES", "demo");
        var links = new ConcurrentBag<(long Id, string Path)> { await replicas[0].MintAsync(buildId), await replicas[1].MintAsync(buildId) };
        var load = new Load(replicas, buildId, links);

        var running = load.RunAsync();
        await load.WaitAsync(l => l.Succeeded >= 50, "traffic before the restart");
        await _postgres.StopAsync();
        await load.WaitAsync(l => l.Unavailable >= 20, "requests refused while PostgreSQL is down");
        await _postgres.StartAgainAsync();
        foreach (var replica in replicas)
            await Eventually.TrueAsync(async () => await replica.ReadinessAsync() == HttpStatusCode.OK, Patience, () => $"{replica.Name} never became ready again:\n{_hosts.Logs()}");
        var succeededBefore = load.Succeeded;
        await load.WaitAsync(l => l.Succeeded >= succeededBefore + 50, "traffic after the restart");
        await load.StopAsync(running);

        Assert.True(load.Failures.IsEmpty, string.Join("\n", load.Failures.Take(20)) + "\n" + _hosts.Logs());
        Assert.All(replicas, r => Assert.False(r.HasExited, r.Output));
        // Nothing broken is left in any pool: every one of many requests at once succeeds on every replica.
        var (_, page) = links.First();
        foreach (var replica in replicas)
        {
            var phone = replica.CreateClient();
            var burst = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
            {
                using var response = await phone.GetAsync(i % 2 == 0 ? page + "/manifest.plist" : page);
                return response.StatusCode;
            }));
            Assert.All(burst, status => Assert.Equal(HttpStatusCode.OK, status));
        }
        // Every acknowledged write is there: each link minted (201), each page view answered (its event committed first).
        var api = replicas[1].CreateClient(ReplicaHosts.UploaderKey);
        foreach (var (id, _) in links)
        {
            var link = await api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{id}");
            Assert.True(link.GetProperty("pageViews").GetArrayLength() >= load.PageViewsOf(id), $"link {id}: {link}");
        }
        // The link-event writer works again: a manifest fetched now is recorded.
        var (lastId, lastPage) = links.First();
        var fetchesBefore = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{lastId}")).GetProperty("manifestFetches").GetArrayLength();
        using (var manifest = await replicas[0].CreateClient().GetAsync(lastPage + "/manifest.plist"))
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        await Eventually.TrueAsync(async () =>
            (await api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{lastId}")).GetProperty("manifestFetches").GetArrayLength() > fetchesBefore,
            Patience, () => "the manifest fetch after the restart was never recorded:\n" + _hosts.Logs());
        // Hangfire's storage works again: an announcement's delivery job runs and posts.
        using (var announced = await replicas[0].CreateClient(ReplicaHosts.ReleaseManagerKey).PostAsync($"/api/v1/builds/{buildId}/announcements", null))
            Assert.Equal(HttpStatusCode.Accepted, announced.StatusCode);
        var announcement = await _slack.CallAsync(c => ReplicaSlack.IsAnnouncementTo(c, "C0RELEASES"));
        Assert.NotNull(announcement.Answer);
        using var download = await replicas[1].CreateClient().GetAsync(page + "/app.ipa");
        Assert.Equal(ipa, await download.Content.ReadAsByteArrayAsync());
    }

    /// <summary>
    /// Traffic on every replica until stopped: links minted through the API, install pages viewed, manifests fetched.
    /// Each answer is a success, or a clean refusal while the database is down (503 with a problem or a page); anything
    /// else (a 500, a dropped connection, no answer within the client's deadline) is a failure.
    /// </summary>
    private sealed class Load(Replica[] replicas, long buildId, ConcurrentBag<(long Id, string Path)> links)
    {
        private const int WorkersPerReplica = 4;
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentDictionary<long, int> _pageViews = new();
        private int _succeeded;
        private int _unavailable;

        public int Succeeded => Volatile.Read(ref _succeeded);

        public int Unavailable => Volatile.Read(ref _unavailable);

        public ConcurrentQueue<string> Failures { get; } = new();

        public int PageViewsOf(long linkId) => _pageViews.GetValueOrDefault(linkId);

        public Task RunAsync() => Task.WhenAll(replicas.SelectMany(replica => Enumerable.Range(0, WorkersPerReplica).Select(worker => WorkAsync(replica, worker))));

        public async Task WaitAsync(Func<Load, bool> condition, string what) =>
            await Eventually.TrueAsync(() => Task.FromResult(condition(this) || !Failures.IsEmpty), Patience,
                () => $"{what}: {Succeeded} succeeded, {Unavailable} refused");

        public async Task StopAsync(Task running)
        {
            await _stop.CancelAsync();
            await running;
            _stop.Dispose();
        }

        private async Task WorkAsync(Replica replica, int worker)
        {
            // A deadline for each answer: a request that hangs is a failure, not a slow success.
            var api = replica.CreateClient(ReplicaHosts.UploaderKey, timeout: TimeSpan.FromSeconds(30));
            for (var i = worker; !_stop.IsCancellationRequested; i++)
            {
                var (id, path) = links.ElementAt(i % links.Count);
                var operation = (i % 3) switch { 0 => "mint", 1 => "page", _ => "manifest" };
                try
                {
                    using var response = operation switch
                    {
                        "mint" => await api.PostAsJsonAsync($"/api/v1/builds/{buildId}/links", new { requestedFor = "load" }, CancellationToken.None),
                        "page" => await api.GetAsync(path, CancellationToken.None),
                        _ => await api.GetAsync(path + "/manifest.plist", CancellationToken.None),
                    };
                    await RecordAsync(replica, operation, id, response);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Failures.Enqueue($"{replica.Name} {operation}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        private async Task RecordAsync(Replica replica, string operation, long linkId, HttpResponseMessage response)
        {
            var body = await response.Content.ReadAsStringAsync();
            var type = response.Content.Headers.ContentType?.MediaType;
            switch (response.StatusCode)
            {
                case HttpStatusCode.Created when operation == "mint":
                    var minted = JsonDocument.Parse(body).RootElement;
                    links.Add((minted.GetProperty("id").GetInt64(), new Uri(minted.GetProperty("installPageUrl").GetString()!).AbsolutePath));
                    Interlocked.Increment(ref _succeeded);
                    break;
                case HttpStatusCode.OK when operation == "page":
                    _pageViews.AddOrUpdate(linkId, 1, (_, n) => n + 1);
                    Interlocked.Increment(ref _succeeded);
                    break;
                case HttpStatusCode.OK when operation == "manifest":
                    Interlocked.Increment(ref _succeeded);
                    break;
                case HttpStatusCode.ServiceUnavailable when type == (operation == "page" ? "text/html" : "application/problem+json"):
                    Interlocked.Increment(ref _unavailable);
                    break;
                default:
                    Failures.Enqueue($"{replica.Name} {operation}: {(int)response.StatusCode} {type} {body[..Math.Min(body.Length, 300)]}");
                    break;
            }
        }
    }
}
