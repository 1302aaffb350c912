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

            // The image's own environment, then what an operator adds with docker run -e: a data volume, and an
            // address of their own, which must win over the image's default port.
            var environment = ImageEnvironment(dockerfile);
            Assert.Equal("8080", environment.GetValueOrDefault("ASPNETCORE_HTTP_PORTS"));
            environment["ChatOpsBot__DataDirectory"] = data;
            environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
            using var host = HostProcess.Start("dotnet", [entryPoint.Groups["dll"].Value], output, environment);
            var address = await host.ListeningAddress;
            Assert.Matches(@"^http://127\.0\.0\.1:[0-9]+$", address);
            Assert.NotEqual(8080, new Uri(address).Port);
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.GetAsync("/healthz");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
            Directory.Delete(data, recursive: true);
            await TestProvider.RemoveDatabaseAsync(data);
        }
    }

    /// <summary>The variables the Dockerfile's ENV instructions set, as the container starts with them.</summary>
    private static Dictionary<string, string> ImageEnvironment(string dockerfile) =>
        EnvInstruction().Matches(dockerfile.Replace("\\\n", " ", StringComparison.Ordinal))
            .SelectMany(m => m.Groups["pairs"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);

    [GeneratedRegex(@"^ENV (?<pairs>.+)$", RegexOptions.Multiline)]
    private static partial Regex EnvInstruction();

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
}
