using System.Text.RegularExpressions;

namespace ChatOpsBot.Tests.Deploy;

/// <summary>
/// The image, read instruction by instruction (no Docker engine runs here). DeploymentTests runs its publish command
/// and boots the output; HealthCheckCommandTests runs its health check through the real binary.
/// </summary>
public sealed class DockerfileTests
{
    private static readonly List<DockerInstruction> Image = Dockerfile.FinalStage(Dockerfile.Text);

    [Fact]
    public void TheImageBuildsWithTheSdkAndRunsOnTheAspNetRuntime()
    {
        var stages = Dockerfile.Instructions(Dockerfile.Text).Where(i => i.Keyword == "FROM").Select(i => i.Arguments).ToList();

        Assert.Equal(["mcr.microsoft.com/dotnet/sdk:10.0 AS build", "mcr.microsoft.com/dotnet/aspnet:10.0"], stages);
        Assert.Contains(Image, i => i.Keyword == "COPY" && i.Arguments == "--from=build /app .");
    }

    [Fact]
    public void ThePublishedProjectExists()
    {
        var publish = Dockerfile.Instructions(Dockerfile.Text).Single(i => i.Keyword == "RUN" && i.Arguments.StartsWith("dotnet publish ", StringComparison.Ordinal));
        var project = publish.Arguments.Split(' ')[2];

        Assert.EndsWith(".csproj", project, StringComparison.Ordinal);
        Assert.True(File.Exists(DeployFiles.Path(project.Split('/'))), $"{project} does not exist");
        // What the build stage copies exists, and .dockerignore does not leave it out of the build context.
        foreach (var copy in Dockerfile.Instructions(Dockerfile.Text).Where(i => i is { Keyword: "COPY", Stage: 0 }))
        {
            foreach (var source in copy.Arguments.Split(' ')[..^1])
            {
                Assert.True(File.Exists(DeployFiles.Path(source)) || Directory.Exists(DeployFiles.Path(source.TrimEnd('/'))), $"COPY {source}: not in the repository");
                Assert.DoesNotContain(source.TrimEnd('/') + "/", DockerIgnore().Select(p => p.TrimStart('*', '/')));
            }
        }
    }

    [Fact]
    public void TheImageRunsAsTheNonRootAppUser()
    {
        var user = Assert.Single(Image, i => i.Keyword == "USER").Arguments;

        Assert.Equal("app", user);
        // Everything after USER runs as app; the data directory was handed to it before.
        Assert.True(Image.FindIndex(i => i.Keyword == "USER") > Image.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("chown", StringComparison.Ordinal)));
    }

    [Fact]
    public void TheImageListensOnTheStandardHttpPortsSettingItExposes()
    {
        var environment = Environment();

        Assert.Equal("8080", environment["ASPNETCORE_HTTP_PORTS"]);
        Assert.Equal("8080", Assert.Single(Image, i => i.Keyword == "EXPOSE").Arguments);
        Assert.DoesNotContain("ASPNETCORE_URLS", environment.Keys);
    }

    [Fact]
    public void TheDataVolumeAndTheArtifactsMountPointBelongToTheAppUser()
    {
        var data = Environment()["ChatOpsBot__DataDirectory"];

        Assert.Equal("/data", data);
        Assert.Equal(data, Assert.Single(Image, i => i.Keyword == "VOLUME").Arguments);
        // A named volume mounted at data/artifacts (the replicas' shared one) takes the ownership of the image's directory.
        Assert.Contains(Image, i => i.Keyword == "RUN" && i.Arguments == $"mkdir -p {data}/artifacts && chown -R app {data}");
    }

    [Fact]
    public void TheHealthCheckRunsTheBinarysHealthcheckCommandAndMigrateIsAnArgumentOfTheEntryPoint()
    {
        var workdir = Image.Last(i => i.Keyword == "WORKDIR").Arguments;
        var entryPoint = Dockerfile.ExecForm(Assert.Single(Image, i => i.Keyword == "ENTRYPOINT").Arguments);
        var healthcheck = Assert.Single(Image, i => i.Keyword == "HEALTHCHECK").Arguments;
        var command = Regex.Match(healthcheck, @"CMD (?<exec>\[.*\])$");

        Assert.Equal(["dotnet", "ChatOpsBot.dll"], entryPoint);
        Assert.True(command.Success, healthcheck);
        Assert.Equal(["dotnet", $"{workdir}/{entryPoint[1]}", HealthCheckCommand.Name], Dockerfile.ExecForm(command.Groups["exec"].Value));
        Assert.Matches(@"--timeout=\d+s", healthcheck);
        Assert.Matches(@"--start-period=\d+m", healthcheck);
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, entryPoint[1])));
    }

    [Fact]
    public void DeploymentSecretsStayOutOfTheBuildContext()
    {
        var ignored = DockerIgnore();

        Assert.Contains("deploy/", ignored);
        Assert.Contains("**/.env", ignored);
        Assert.Contains("**/*.pem", ignored);
        Assert.Contains("tests/", ignored);
    }

    private static Dictionary<string, string> Environment() =>
        Image.Where(i => i.Keyword == "ENV")
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);

    private static List<string> DockerIgnore() =>
        [.. File.ReadAllLines(DeployFiles.Path(".dockerignore")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];
}
