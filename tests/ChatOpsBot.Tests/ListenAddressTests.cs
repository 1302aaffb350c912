using System.Net;
using Microsoft.Extensions.Configuration;

namespace ChatOpsBot.Tests;

/// <summary>Where the host listens: the standard ASP.NET Core settings decide, and the default applies only without them.</summary>
public sealed class ListenAddressTests
{
    [Theory]
    [InlineData("ASPNETCORE_URLS", "http://127.0.0.1:0")]
    [InlineData("ASPNETCORE_HTTP_PORTS", "0")]
    [InlineData("--urls", "http://127.0.0.1:0")]
    [InlineData("Urls", "http://127.0.0.1:0")]
    public async Task AnAddressChosenThroughAStandardSettingIsWhereTheHostAnswers(string setting, string value)
    {
        var data = Directory.CreateTempSubdirectory("chatopsbot-listen-").FullName;
        try
        {
            var environment = new Dictionary<string, string> { ["ChatOpsBot__DataDirectory"] = data };
            List<string> arguments = [Path.Combine(AppContext.BaseDirectory, "ChatOpsBot.dll")];
            if (setting.StartsWith("--", StringComparison.Ordinal))
                arguments.AddRange([setting, value]);
            else
                environment[setting] = value;

            using var host = HostProcess.Start("dotnet", arguments, data, environment);
            var address = new Uri(await host.ListeningAddress);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{address.Port}") };
            using var health = await client.GetAsync("/healthz");

            // Port 0 lets the system choose, so the port says nothing; that the default was not used is in the host.
            Assert.NotEqual("localhost", address.Host);
            Assert.NotEqual(5080, address.Port);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
            await TestProvider.RemoveDatabaseAsync(data);
        }
    }

    [Theory]
    [InlineData(null, null, "http://localhost:5080")]
    [InlineData("urls", "http://0.0.0.0:9000", null)]
    [InlineData("http_ports", "9000", null)]
    [InlineData("https_ports", "9443", null)]
    [InlineData("Kestrel:Endpoints:Http:Url", "http://0.0.0.0:9000", null)]
    [InlineData("urls", " ", "http://localhost:5080")]
    public void TheDefaultAddressAppliesOnlyWhenNoStandardSettingChoseOne(string? key, string? value, string? expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(key is null ? [] : [new(key, value)])
            .Build();

        Assert.Equal(expected, Hosting.DefaultUrlsFor(configuration));
    }

    [Fact]
    public async Task WithNoAddressSettingTheHostListensOnLocalhostPort5080()
    {
        var data = Directory.CreateTempSubdirectory("chatopsbot-listen-").FullName;
        try
        {
            using var host = HostProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "ChatOpsBot.dll")], data,
                new() { ["ChatOpsBot__DataDirectory"] = data });
            try
            {
                Assert.Equal("http://localhost:5080", await host.ListeningAddress);
                using var client = new HttpClient { BaseAddress = new Uri("http://localhost:5080") };
                using var health = await client.GetAsync("/healthz");
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }
            catch (InvalidOperationException) when (host.Output.Contains("address already in use", StringComparison.Ordinal))
            {
                // Something else on this machine holds 5080: the host tried the default address, which is the point.
                Assert.Contains("Failed to bind to address http://127.0.0.1:5080", host.Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
            await TestProvider.RemoveDatabaseAsync(data);
        }
    }
}
