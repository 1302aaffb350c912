using System.Collections.Concurrent;
using Hangfire;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ChatOpsBot.Tests;

/// <summary>The real host on Kestrel at a free loopback port, with its own data directory.</summary>
internal sealed class ChatOpsBotApplication : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;
    private readonly bool _ownsDataDirectory;
    private readonly bool _ownsDatabase;

    public const string DefaultPublicBaseUrl = "https://ota.example.test";

    /// <param name="settings">Configuration on top of the defaults.</param>
    /// <param name="servePublicBaseUrl">
    /// Listen on a fixed free loopback port and use it as ChatOpsBot:PublicBaseUrl, so a browser can follow the links
    /// the app generates. Otherwise the public base URL is https://ota.example.test, which nothing serves.
    /// </param>
    /// <param name="dataDirectory">
    /// Run on an existing data directory, as a restarted host would; the caller deletes it. On PostgreSQL
    /// (<see cref="TestProvider.IsPostgres"/>) the directory's database comes with it.
    /// </param>
    /// <param name="services">Test services (fake chat messengers), registered after the app's own.</param>
    public ChatOpsBotApplication(Dictionary<string, string?>? settings = null, bool servePublicBaseUrl = false,
        string? dataDirectory = null, Action<IServiceCollection>? services = null)
    {
        _ownsDataDirectory = dataDirectory is null;
        _services = services;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("chatopsbot-test-").FullName;
        var port = servePublicBaseUrl ? Loopback.FreePort() : 0;
        PublicBaseUrl = servePublicBaseUrl ? $"http://127.0.0.1:{port}" : DefaultPublicBaseUrl;
        _settings = new()
        {
            ["ChatOpsBot:DataDirectory"] = DataDirectory,
            ["ChatOpsBot:PublicBaseUrl"] = PublicBaseUrl,
            // The job server runs on the real clock: jobs go to Jobs instead, and tests run them on the fake clock.
            // Only a test about the job server itself turns it on.
            ["ChatOpsBot:Jobs:Enabled"] = "false",
        };
        // Not UseKestrel(port): the factory then rewrites IServerAddressesFeature.Addresses after Build(), racing the
        // app's own start, which seals them ("cannot be modified after the server has started", dotnet/aspnetcore
        // #67714). The address comes in as the host's standard "urls" setting instead, before anything starts.
        _settings[WebHostDefaults.ServerUrlsKey] = $"http://127.0.0.1:{port}";
        foreach (var (key, value) in settings ?? [])
            _settings[key] = value;
        // On ./test.sh's PostgreSQL pass the data directory's own database, unless the test chose a provider itself.
        if (TestProvider.IsPostgres && !_settings.ContainsKey("ChatOpsBot:Database:Provider"))
        {
            foreach (var (key, value) in TestProvider.MigratedDatabaseSettings(DataDirectory))
                _settings[key] = value;
            _ownsDatabase = _ownsDataDirectory;
        }
        Jobs = new ManualJobs(Clock);
        UseKestrel();
    }

    public string PublicBaseUrl { get; }

    /// <summary>The app's clock; tests move it instead of waiting.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    /// <summary>The jobs the app created, when its job server is off (the default); run them with <see cref="RunJobsAsync"/>.</summary>
    public ManualJobs Jobs { get; }

    /// <summary>Runs the jobs that are due by <see cref="Clock"/>, and those they create that are due too.</summary>
    public Task<int> RunJobsAsync() => Jobs.RunDueAsync(Services);

    private bool JobServerEnabled => string.Equals(_settings["ChatOpsBot:Jobs:Enabled"], "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Every log message the app wrote, formatted.</summary>
    public ConcurrentQueue<string> Logs { get; } = new();

    /// <summary>The errors the app logged, to explain a failed assertion.</summary>
    public string ServerErrors() =>
        string.Concat(Logs.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)).Select(l => "\n" + l));

    public const string UploaderKey = "uploader-key-0123456789";
    public const string ReleaseManagerKey = "release-manager-key-0123456789";
    public const string AdminKey = "admin-key-0123456789abcdef";

    public string DataDirectory { get; }

    /// <summary>Settings with three API keys, one per role; the admin key is configured by its hash.</summary>
    public static Dictionary<string, string?> WithApiKeys(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ChatOpsBot:ApiKeys:0:Name"] = "ci",
            ["ChatOpsBot:ApiKeys:0:Key"] = UploaderKey,
            ["ChatOpsBot:ApiKeys:0:Role"] = "Uploader",
            ["ChatOpsBot:ApiKeys:1:Name"] = "release",
            ["ChatOpsBot:ApiKeys:1:Key"] = ReleaseManagerKey,
            ["ChatOpsBot:ApiKeys:1:Role"] = "ReleaseManager",
            ["ChatOpsBot:ApiKeys:2:Name"] = "ops",
            ["ChatOpsBot:ApiKeys:2:KeyHash"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(AdminKey))),
            ["ChatOpsBot:ApiKeys:2:Role"] = "Admin",
        };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return settings;
    }

    /// <summary>Uploads the test IPA as app "demo", channel "beta", with the uploader key; fails the test unless it is stored.</summary>
    public async Task UploadDemoAsync()
    {
        using var api = CreateClient(UploaderKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent("demo"), "app" },
            { new ByteArrayContent(new Core.Tests.Builds.TestIpaBuilder().Build()), "file", "Demo.ipa" },
        };
        using var response = await api.PostAsync("/api/v1/builds", form);
        Xunit.Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    public HttpClient CreateClient(string apiKey)
    {
        var client = CreateLoopbackClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    /// <summary>Every file under the data directory except the database's own and the console's Data Protection keys.</summary>
    public string[] DataFiles() =>
        [.. Directory.EnumerateFiles(DataDirectory, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith("chatopsbot.db", StringComparison.Ordinal))
            .Where(f => Path.GetRelativePath(DataDirectory, f).Split(Path.DirectorySeparatorChar)[0] != "keys")
            .Select(f => Path.GetRelativePath(DataDirectory, f))
            .Order(StringComparer.Ordinal)];

    public HttpClient CreateLoopbackClient()
    {
        StartServer();
        return CreateDefaultClient();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(new RecordingLoggerProvider(Logs)));
        builder.ConfigureTestServices(services =>
        {
            services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));
            if (!JobServerEnabled)
                services.Replace(ServiceDescriptor.Singleton<IBackgroundJobClient>(Jobs));
            _services?.Invoke(services);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsDataDirectory && Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
        if (disposing && _ownsDatabase)
            TestProvider.RemoveDatabase(DataDirectory);
    }
}

/// <summary>Records every message with its scopes, as a console logger with IncludeScopes prints them.</summary>
internal sealed class RecordingLoggerProvider(ConcurrentQueue<string> logs) : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(categoryName, logs, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class RecordingLogger(string category, ConcurrentQueue<string> logs, RecordingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new System.Text.StringBuilder();
            provider._scopes.ForEachScope((scope, text) => text.Append(" => ").Append(scope), scopes);
            logs.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {exception}{scopes}");
        }
    }
}
