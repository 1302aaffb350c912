using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;

namespace ChatOpsBot.Tests;

/// <summary>
/// Host processes (<c>dotnet ChatOpsBot.dll</c>, as operators run it) sharing one database and one data directory, as
/// replicas behind a load balancer do. Each listens on a free loopback port of its own; a test talks to each directly,
/// so it decides which replica serves which request. Every replica is killed (hard) when the set is disposed.
/// </summary>
internal sealed class ReplicaHosts : IAsyncDisposable
{
    public const string PublicBaseUrl = "https://ota.example.test";
    public const string UploaderKey = ChatOpsBotApplication.UploaderKey;
    public const string ReleaseManagerKey = ChatOpsBotApplication.ReleaseManagerKey;

    /// <summary>How long a replica may take to start and report ready: a deadline, not a timing assertion.</summary>
    public static readonly TimeSpan StartDeadline = TimeSpan.FromMinutes(2);

    private readonly Dictionary<string, string> _environment;
    private readonly List<Replica> _replicas = [];
    private readonly bool _ownsDataDirectory;

    /// <param name="database">
    /// The database settings every replica gets (environment variables, such as
    /// <c>ChatOpsBot__Database__Provider</c>); empty means the SQLite file in the shared data directory.
    /// </param>
    /// <param name="settings">Settings every replica gets, as configuration keys (<c>ChatOpsBot:Jobs:Enabled</c>) or variables.</param>
    /// <param name="dataDirectory">The shared data directory; a new one (deleted at the end) unless given.</param>
    public ReplicaHosts(IReadOnlyDictionary<string, string> database, IReadOnlyDictionary<string, string>? settings = null, string? dataDirectory = null)
    {
        _ownsDataDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("chatopsbot-replicas-").FullName;
        _environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["ChatOpsBot__DataDirectory"] = DataDirectory,
            ["ChatOpsBot__PublicBaseUrl"] = PublicBaseUrl,
            // Tests send many requests from one address; the limit is per process and has tests of its own.
            ["ChatOpsBot__Install__RequestsPerWindow"] = "0",
            ["ChatOpsBot__ApiKeys__0__Name"] = "ci",
            ["ChatOpsBot__ApiKeys__0__Key"] = UploaderKey,
            ["ChatOpsBot__ApiKeys__0__Role"] = "Uploader",
            ["ChatOpsBot__ApiKeys__1__Name"] = "release",
            ["ChatOpsBot__ApiKeys__1__Key"] = ReleaseManagerKey,
            ["ChatOpsBot__ApiKeys__1__Role"] = "ReleaseManager",
            // Each line of the log on one line, so a line names its category and event id.
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        Merge(_environment, database);
        Merge(_environment, settings);
    }

    public string DataDirectory { get; }

    public IReadOnlyList<Replica> Replicas => _replicas;

    /// <summary>Starts a replica and returns once its <c>/readyz</c> answers 200.</summary>
    public async Task<Replica> StartAsync(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        var replica = Launch(name, settings);
        await replica.WaitReadyAsync();
        return replica;
    }

    /// <summary>Starts replicas at the same moment (as an orchestrator starts them) and returns once every one is ready.</summary>
    public async Task<Replica[]> StartAsync(params string[] names)
    {
        var replicas = names.Select(name => Launch(name, null)).ToArray();
        await Task.WhenAll(replicas.Select(r => r.WaitReadyAsync()));
        return replicas;
    }

    /// <summary>Starts a replica without waiting for it.</summary>
    public Replica Launch(string name, IReadOnlyDictionary<string, string>? settings)
    {
        var environment = new Dictionary<string, string>(_environment, StringComparer.Ordinal);
        Merge(environment, settings);
        var replica = new Replica(name, HostProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "ChatOpsBot.dll")], DataDirectory, environment));
        _replicas.Add(replica);
        return replica;
    }

    /// <summary>What every replica wrote, each line after the replica's name: to explain a failed assertion.</summary>
    public string Logs() => string.Join("\n", _replicas.Select(r => $"--- {r.Name}{(r.HasExited ? " (exited)" : "")}\n{r.Output}"));

    private static void Merge(Dictionary<string, string> environment, IReadOnlyDictionary<string, string>? settings)
    {
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas)
            await replica.DisposeAsync();
        if (_ownsDataDirectory && Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
    }
}

/// <summary>One host process of a <see cref="ReplicaHosts"/>: its address, clients to it, its log, and a hard kill.</summary>
internal sealed class Replica(string name, HostProcess.RunningHost host) : IAsyncDisposable
{
    private readonly List<HttpClient> _clients = [];
    private Uri? _address;

    public string Name => name;

    public string Output => host.Output;

    public bool HasExited => host.HasExited;

    /// <summary>Where the replica listens; known once it said so.</summary>
    public Uri Address => _address ?? throw new InvalidOperationException($"{name} has not started listening yet.");

    /// <summary>Waits (bounded) until the replica listens and its readiness check passes.</summary>
    public async Task WaitReadyAsync()
    {
        _address = new Uri(await host.ListeningAddress);
        using var client = CreateClient();
        await Eventually.TrueAsync(async () =>
        {
            if (host.HasExited)
                throw new InvalidOperationException($"{name} exited before it was ready:\n{Output}");
            try
            {
                using var ready = await client.GetAsync("/readyz");
                return ready.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, ReplicaHosts.StartDeadline, () => $"{name} never answered /readyz with 200:\n{Output}");
    }

    /// <summary>A client of this replica, with an API key when given; disposed with the replica.</summary>
    public HttpClient CreateClient(string? apiKey = null, TimeSpan? timeout = null)
    {
        // Not a timing assertion: a request that hangs fails the test instead of hanging the run.
        var client = new HttpClient { BaseAddress = Address, Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        if (apiKey is not null)
            client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        _clients.Add(client);
        return client;
    }

    /// <summary>Kills the process at once (SIGKILL): no shutdown, no flush, as a crash or an OOM kill would.</summary>
    public void Kill() => host.Kill();

    public async Task<HttpStatusCode> ReadinessAsync()
    {
        using var client = CreateClient(timeout: TimeSpan.FromSeconds(30));
        using var ready = await client.GetAsync("/readyz");
        return ready.StatusCode;
    }

    /// <summary>Uploads a build of <paramref name="app"/> in <paramref name="channel"/> through this replica; its id and the IPA.</summary>
    public async Task<(long Id, byte[] Ipa)> UploadAsync(string app, string channel = "beta", string version = "1.0", bool announce = false)
    {
        var builder = new TestIpaBuilder().WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
        builder.Info["CFBundleIdentifier"] = $"com.example.{app}";
        builder.Info["CFBundleShortVersionString"] = version;
        var ipa = builder.Build();
        using var form = new MultipartFormDataContent
        {
            { new StringContent(channel), "channel" },
            { new StringContent(app), "app" },
            { new ByteArrayContent(ipa), "file", "App.ipa" },
        };
        if (announce)
            form.Add(new StringContent("true"), "announce");
        var api = CreateClient(announce ? ReplicaHosts.ReleaseManagerKey : ReplicaHosts.UploaderKey);
        using var response = await api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64(), ipa);
    }

    /// <summary>Mints a link for a build through this replica: its id and the install page's path (<c>/i/{token}</c>).</summary>
    public async Task<(long Id, string Path)> MintAsync(long buildId)
    {
        var api = CreateClient(ReplicaHosts.UploaderKey);
        using var response = await api.PostAsJsonAsync($"/api/v1/builds/{buildId}/links", new { requestedFor = "Ada" });
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var link = await response.Content.ReadFromJsonAsync<JsonElement>();
        var page = new Uri(link.GetProperty("installPageUrl").GetString()!);
        Assert.Equal(ReplicaHosts.PublicBaseUrl, page.GetLeftPart(UriPartial.Authority));
        return (link.GetProperty("id").GetInt64(), page.AbsolutePath);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            client.Dispose();
        host.Dispose();
        await Task.CompletedTask;
    }
}

/// <summary>Conditions that become true eventually, polled up to a deadline: never a sleep that decides a result.</summary>
internal static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan deadline, Func<string> because)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (elapsed.Elapsed >= deadline)
                throw new Xunit.Sdk.XunitException($"Not true within {deadline}: {because()}");
            await Task.Delay(PollInterval);
        }
    }
}

internal static partial class HostProcess
{
    internal sealed partial class RunningHost
    {
        public bool HasExited => _process.HasExited;

        /// <summary>SIGKILL, then waits until the process is gone and its output read.</summary>
        public void Kill()
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }
}

/// <summary>The one PostgreSQL database a set of replicas shares: a new one on the tests' shared server, dropped at the end.</summary>
internal sealed class ReplicaDatabase : IAsyncDisposable
{
    private readonly string _name;

    private ReplicaDatabase(string name, string connectionString)
    {
        _name = name;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    /// <summary>The settings that put a replica on this database.</summary>
    public IReadOnlyDictionary<string, string> Settings => For(ConnectionString);

    public static async Task<ReplicaDatabase> CreateAsync()
    {
        var name = "replicas_" + Guid.NewGuid().ToString("N");
        return new ReplicaDatabase(name, await TestPostgres.CreateDatabaseAsync(name));
    }

    /// <summary>The settings that put a replica on the PostgreSQL database of <paramref name="connectionString"/>.</summary>
    public static IReadOnlyDictionary<string, string> For(string connectionString) => new Dictionary<string, string>
    {
        ["ChatOpsBot:Database:Provider"] = "Postgres",
        ["ChatOpsBot:Database:ConnectionString"] = connectionString,
    };

    public async ValueTask DisposeAsync() => await TestPostgres.DropDatabaseAsync(_name);
}
