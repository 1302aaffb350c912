using System.Net;

namespace ChatOpsBot.Tests;

public sealed class StartupTests
{
    [Fact]
    public async Task TemporaryUploadFilesLeftByAnEarlierRunAreRemovedAtStart()
    {
        using var app = new ChatOpsBotApplication();
        var temporary = Path.Combine(app.DataDirectory, "artifacts", ".tmp");
        Directory.CreateDirectory(temporary);
        await File.WriteAllTextAsync(Path.Combine(temporary, "leftover"), "partial upload");

        using var client = app.CreateLoopbackClient();
        using var ready = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Empty(Directory.EnumerateFiles(temporary));
        Assert.True(File.Exists(Path.Combine(app.DataDirectory, "chatopsbot.db")));
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
        Assert.Contains("ChatOpsBot cannot start:", output, StringComparison.Ordinal);
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
    }
}

/// <summary>The host as operators start it: its own process, configured through the environment.</summary>
internal static class HostProcess
{
    public static async Task<(int Exit, string Output)> RunUntilExitAsync(Dictionary<string, string> environment)
    {
        var data = Directory.CreateTempSubdirectory("chatopsbot-start-").FullName;
        try
        {
            var info = new System.Diagnostics.ProcessStartInfo("dotnet")
            {
                WorkingDirectory = data,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ChatOpsBot.dll"));
            info.Environment["Urls"] = "http://127.0.0.1:0";
            info.Environment["ChatOpsBot__DataDirectory"] = data;
            foreach (var (key, value) in environment)
                info.Environment[key] = value;
            using var process = System.Diagnostics.Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            // A deadline, not a timing assertion: a host that does not stop fails here instead of hanging the run.
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException("The host kept running although its configuration is invalid.");
            }
            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
