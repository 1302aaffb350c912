using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ChatOpsBot.Tests;

/// <summary>
/// No Docker engine runs here, so these tests prove the container's contents instead: they run the Dockerfile's own
/// publish command and boot its output the way the image's entry point does.
/// </summary>
public sealed partial class DeploymentTests
{
    [Fact]
    public async Task DockerfilePublishOutputStartsAndAnswersHealthz()
    {
        var root = RepositoryRoot();
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(root, "Dockerfile"));
        var publish = PublishCommand().Match(dockerfile);
        Assert.True(publish.Success, "The Dockerfile has no 'RUN dotnet publish … -o <dir>' line.");
        var entryPoint = EntryPoint().Match(dockerfile);
        Assert.True(entryPoint.Success, "The Dockerfile has no ENTRYPOINT [\"dotnet\", \"<dll>\"].");

        var output = Directory.CreateTempSubdirectory("chatopsbot-publish-").FullName;
        var data = Directory.CreateTempSubdirectory("chatopsbot-data-").FullName;
        try
        {
            var (exit, log) = await RunAsync("dotnet", $"{publish.Groups["args"].Value} -o {output}", root, []);
            Assert.True(exit == 0, "dotnet publish failed:\n" + log);
            Assert.True(File.Exists(Path.Combine(output, entryPoint.Groups["dll"].Value)));
            Assert.True(File.Exists(Path.Combine(output, "appsettings.json")), "appsettings.json is not in the publish output.");

            using var host = Start("dotnet", entryPoint.Groups["dll"].Value, output, new()
            {
                ["Urls"] = "http://127.0.0.1:0",
                ["ChatOpsBot__DataDirectory"] = data,
            });
            var address = await host.ListeningAddress;
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.GetAsync("/healthz");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
            Directory.Delete(data, recursive: true);
        }
    }

    [GeneratedRegex(@"^RUN dotnet (?<args>publish .+?) -o \S+\s*$", RegexOptions.Multiline)]
    private static partial Regex PublishCommand();

    [GeneratedRegex(@"^ENTRYPOINT \[""dotnet"", ""(?<dll>[^""]+)""\]", RegexOptions.Multiline)]
    private static partial Regex EntryPoint();

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ChatOpsBot.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("ChatOpsBot.sln not found above the test binaries.");
    }

    private static async Task<(int Exit, string Log)> RunAsync(string file, string arguments, string directory, Dictionary<string, string> environment)
    {
        using var process = Process.Start(StartInfo(file, arguments, directory, environment))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static RunningHost Start(string file, string arguments, string directory, Dictionary<string, string> environment) =>
        new(Process.Start(StartInfo(file, arguments, directory, environment))!);

    private static ProcessStartInfo StartInfo(string file, string arguments, string directory, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        return info;
    }

    private sealed partial class RunningHost : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<string> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public RunningHost(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && ListeningOn().Match(line) is { Success: true } match)
                    _address.TrySetResult(match.Groups["url"].Value);
            };
            _process.EnableRaisingEvents = true;
            _process.Exited += (_, _) => _address.TrySetException(new InvalidOperationException("The host exited before it listened."));
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        // Not a timing assertion: a deadline so a host that never starts fails the test instead of hanging CI.
        public Task<string> ListeningAddress => _address.Task.WaitAsync(TimeSpan.FromMinutes(2));

        [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
        private static partial Regex ListeningOn();

        public void Dispose()
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
