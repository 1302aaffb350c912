using System.Net;

namespace ChatOpsBot.Tests;

public sealed class StartupTests
{
    [Fact]
    public async Task TemporaryUploadFilesLeftByAnEarlierRunAreRemovedAtStartButNotAnotherReplicasUploadInProgress()
    {
        using var app = new ChatOpsBotApplication();
        var temporary = Path.Combine(app.DataDirectory, "artifacts", ".tmp");
        Directory.CreateDirectory(temporary);
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var leftover = Path.Combine(temporary, "leftover");
        await File.WriteAllTextAsync(leftover, "partial upload");
        File.SetLastWriteTimeUtc(leftover, now - TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));
        // A replica sharing the directory is writing this one (its last write a minute ago by the host's clock).
        var inProgress = Path.Combine(temporary, "in-progress");
        await File.WriteAllTextAsync(inProgress, "upload under way");
        File.SetLastWriteTimeUtc(inProgress, now - TimeSpan.FromMinutes(1));

        using var client = app.CreateLoopbackClient();
        using var ready = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal([inProgress], Directory.EnumerateFiles(temporary));
        // SQLite's database is a file in the data directory; on PostgreSQL there is none.
        Assert.Equal(!TestProvider.IsPostgres, File.Exists(Path.Combine(app.DataDirectory, "chatopsbot.db")));
    }

    [Theory]
    [InlineData("ChatOpsBot__ApiKeys__0__Role", "ChatOpsBot:ApiKeys:0:Role is required")]
    [InlineData("ChatOpsBot__ApiKeys__0__Key", "ChatOpsBot:ApiKeys:0: set exactly one of Key or KeyHash")]
    public async Task ApiKeyMissingASettingStopsTheHostNamingTheKey(string omitted, string message)
    {
        var environment = new Dictionary<string, string>
        {
            ["ChatOpsBot__ApiKeys__0__Key"] = "a-key-long-enough-0123",
            ["ChatOpsBot__ApiKeys__0__Role"] = "Uploader",
        };
        environment.Remove(omitted);

        var (exit, output) = await HostProcess.RunUntilExitAsync(environment);

        Assert.Equal(1, exit);
        Assert.Contains(message, output, StringComparison.Ordinal);
        AssertReportedCleanly(output);
    }

    [Fact]
    public async Task ApiKeyHashThatIsNotLowercaseHexStopsTheHost()
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new()
        {
            ["ChatOpsBot__ApiKeys__0__KeyHash"] = new string('G', 64),
            ["ChatOpsBot__ApiKeys__0__Role"] = "Admin",
        });

        Assert.Equal(1, exit);
        Assert.Contains("ChatOpsBot:ApiKeys:0:KeyHash must be the lowercase hex SHA-256", output, StringComparison.Ordinal);
        AssertReportedCleanly(output);
    }

    [Theory]
    [InlineData("http://ota.example.com", "must be https")]
    [InlineData("ftp://ota.example.com", "not an absolute http(s) URL")]
    [InlineData("https://ota.example.com/?x=1", "must not carry a query")]
    [InlineData(" ", "is required")]
    public async Task PublicBaseUrlThatIOSCannotUseStopsTheHost(string value, string message)
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new() { ["ChatOpsBot__PublicBaseUrl"] = value });

        Assert.Equal(1, exit);
        Assert.Contains("ChatOpsBot:PublicBaseUrl", output, StringComparison.Ordinal);
        Assert.Contains(message, output, StringComparison.Ordinal);
        AssertReportedCleanly(output);
    }

    [Fact]
    public async Task EveryConfigurationMistakeIsReportedAtOnceInPlainLinesWithoutAStackTrace()
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new()
        {
            ["ChatOpsBot__PublicBaseUrl"] = "ftp://ota.example.com",
            ["ChatOpsBot__ApiKeys__0__Key"] = "a-key-long-enough-0123",
            ["Slack__SigningSecret"] = "a-signing-secret",
        });

        Assert.Equal(1, exit);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("ChatOpsBot cannot start:", lines[0]);
        Assert.Contains("ChatOpsBot:PublicBaseUrl 'ftp://ota.example.com' is not an absolute http(s) URL.", lines);
        Assert.Contains(lines, l => l.StartsWith("ChatOpsBot:ApiKeys:0:Role is required", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Slack:BotToken is required when Slack:SigningSecret is set", StringComparison.Ordinal));
        AssertReportedCleanly(output);
    }

    /// <summary>The operator reads what to fix, not the host's own report of the exception before it.</summary>
    private static void AssertReportedCleanly(string output)
    {
        Assert.StartsWith("ChatOpsBot cannot start:", output.TrimStart(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed to start", output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("crit: ", output, StringComparison.Ordinal);
    }
}

/// <summary>The host as operators start it: its own process, configured through the environment.</summary>
internal static partial class HostProcess
{
    /// <summary>Settings that choose the listen address; removed from what the test process passes on, so each test says its own.</summary>
    private static readonly string[] AddressSettings =
        ["URLS", "HTTP_PORTS", "HTTPS_PORTS", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS", "DOTNET_HTTP_PORTS", "DOTNET_HTTPS_PORTS"];

    /// <summary>Runs the host until it exits, listening on a free loopback port unless the environment says otherwise.</summary>
    public static async Task<(int Exit, string Output)> RunUntilExitAsync(Dictionary<string, string> environment)
    {
        var data = Directory.CreateTempSubdirectory("chatopsbot-start-").FullName;
        try
        {
            return await RunToExitAsync([], data,
                new Dictionary<string, string> { ["Urls"] = "http://127.0.0.1:0", ["ChatOpsBot__DataDirectory"] = data }.Concat(environment)
                    .GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Last().Value));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
            await TestProvider.RemoveDatabaseAsync(data);
        }
    }

    /// <summary>
    /// Starts a host and returns once it listens (or has exited). Only <paramref name="environment"/> chooses the
    /// address: no address setting of the test process is passed on.
    /// </summary>
    public static RunningHost Start(string file, IEnumerable<string> arguments, string directory, Dictionary<string, string> environment)
    {
        var info = StartInfo(file, arguments, directory, environment);
        return new RunningHost(System.Diagnostics.Process.Start(info)!);
    }

    private static System.Diagnostics.ProcessStartInfo StartInfo(string file, IEnumerable<string> arguments, string directory, Dictionary<string, string> environment)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (var key in info.Environment.Keys.Where(k => AddressSettings.Contains(k, StringComparer.OrdinalIgnoreCase) || k.StartsWith("Kestrel__", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        // On the PostgreSQL pass a host on a data directory gets that directory's database, unless the test chose a provider.
        if (environment.TryGetValue("ChatOpsBot__DataDirectory", out var data) && !environment.ContainsKey("ChatOpsBot__Database__Provider"))
        {
            foreach (var (key, value) in TestProvider.DatabaseEnvironment(data))
                info.Environment[key] = value;
        }
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        return info;
    }

    /// <summary>A started host: where it said it listens, and everything it wrote.</summary>
    internal sealed partial class RunningHost : IDisposable
    {
        private readonly System.Diagnostics.Process _process;
        private readonly TaskCompletionSource<string> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

        public RunningHost(System.Diagnostics.Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) => Received(e.Data);
            _process.ErrorDataReceived += (_, e) => Received(e.Data);
            _process.EnableRaisingEvents = true;
            _process.Exited += (_, _) =>
            {
                // Waits for the rest of the output, so the exception carries all of it.
                _process.WaitForExit();
                _address.TrySetException(new InvalidOperationException("The host exited before it listened:\n" + Output));
            };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        private void Received(string? line)
        {
            if (line is null)
                return;
            _output.Enqueue(line);
            if (ListeningOn().Match(line) is { Success: true } match)
                _address.TrySetResult(match.Groups["url"].Value);
        }

        /// <summary>The first "Now listening on" address.</summary>
        // Not a timing assertion: a deadline so a host that never starts fails the test instead of hanging CI.
        public Task<string> ListeningAddress => _address.Task.WaitAsync(TimeSpan.FromMinutes(2));

        public string Output => string.Join("\n", _output);

        [System.Text.RegularExpressions.GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
        private static partial System.Text.RegularExpressions.Regex ListeningOn();

        public void Dispose()
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
