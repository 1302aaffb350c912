using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace ChatOpsBot.Tests.Deploy;

/// <summary>
/// <c>dotnet ChatOpsBot.dll healthcheck</c>, the image's HEALTHCHECK: through the real binary against a real host, and
/// the address it probes for each way of choosing the listen address.
/// </summary>
public sealed class HealthCheckCommandTests
{
    [Fact]
    public async Task HealthcheckExitsZeroWhileTheHostAnswersAndOneOnceItIsGone()
    {
        var data = Directory.CreateTempSubdirectory("chatopsbot-healthcheck-").FullName;
        try
        {
            // As in the image: ASPNETCORE_HTTP_PORTS alone, the same environment for the host and the probe.
            var (host, environment) = await StartOnAFreePortAsync(data);
            using (host)
            {
                var (exit, output) = await RunAsync(environment);
                Assert.True(exit == 0, output);
                Assert.Contains($"http://127.0.0.1:{environment["ASPNETCORE_HTTP_PORTS"]}/healthz: 200 Healthy", output, StringComparison.Ordinal);

                host.Kill();
                var (afterExit, afterOutput) = await RunAsync(environment);
                Assert.Equal(1, afterExit);
                Assert.Contains("did not answer", afterOutput, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
            await TestProvider.RemoveDatabaseAsync(data);
        }
    }

    [Fact]
    public async Task HealthcheckExitsOneWhenHealthzAnswersAnError()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var answered = AnswerOnceAsync(listener, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 9\r\nConnection: close\r\n\r\nUnhealthy");

        var (exit, output) = await RunAsync(new() { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" });

        Assert.Equal("GET /healthz HTTP/1.1", await answered);
        Assert.Equal(1, exit);
        Assert.Contains($"http://127.0.0.1:{port}/healthz answered 503 Unhealthy", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ASPNETCORE_URLS", "http://127.0.0.1:0", "has no fixed port to probe")]
    [InlineData("ASPNETCORE_HTTPS_PORTS", "8443", "no plain http address to probe")]
    public async Task HealthcheckWithNoAddressItCanProbeSaysWhyAndExitsOne(string setting, string value, string reason)
    {
        var (exit, output) = await RunAsync(new() { [setting] = value });

        Assert.Equal(1, exit);
        Assert.Contains(reason, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, "http://127.0.0.1:5080/")]
    [InlineData("http_ports", "8080", "http://127.0.0.1:8080/")]
    [InlineData("http_ports", "8080;8081", "http://127.0.0.1:8080/")]
    [InlineData("urls", "http://+:9000", "http://127.0.0.1:9000/")]
    [InlineData("urls", "http://*:9000;http://localhost:9001", "http://127.0.0.1:9000/")]
    [InlineData("urls", "http://0.0.0.0:9000", "http://127.0.0.1:9000/")]
    [InlineData("urls", "http://[::]:9000", "http://[::1]:9000/")]
    [InlineData("urls", "http://10.1.2.3:9000", "http://10.1.2.3:9000/")]
    [InlineData("urls", "https://+:9443;http://ota.example.com:9000/base", "http://127.0.0.1:9000/")]
    public void TheProbeGoesToTheFirstPlainHttpAddressOnLoopback(string? key, string? value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(key is null ? [] : [new(key, value)]).Build();

        Assert.True(HealthCheckCommand.TryProbeAddress(configuration, out var address, out var problem), problem);
        Assert.Equal(expected, address.ToString());
    }

    [Fact]
    public void KestrelEndpointsWinOverUrlsAndUrlsOverHttpPortsAsInTheHost()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Web:Url"] = "http://0.0.0.0:7000",
            ["urls"] = "http://+:9000",
            ["http_ports"] = "8080",
        }).Build();
        var urlsAndPorts = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://+:9000",
            ["http_ports"] = "8080",
        }).Build();

        Assert.True(HealthCheckCommand.TryProbeAddress(configuration, out var endpoint, out _));
        Assert.True(HealthCheckCommand.TryProbeAddress(urlsAndPorts, out var urls, out _));
        Assert.Equal(7000, endpoint.Port);
        Assert.Equal(9000, urls.Port);
    }

    [Theory]
    [InlineData("http://+")]
    [InlineData("http://127.0.0.1:port")]
    [InlineData("http://127.0.0.1:70000")]
    public void AnAddressWithoutAUsablePortIsRefused(string urls)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("urls", urls)]).Build();

        Assert.False(HealthCheckCommand.TryProbeAddress(configuration, out _, out var problem));
        Assert.Contains(urls, problem, StringComparison.Ordinal);
    }

    /// <summary>A host listening on ASPNETCORE_HTTP_PORTS; a port taken between choosing and binding is chosen again.</summary>
    private static async Task<(HostProcess.RunningHost Host, Dictionary<string, string> Environment)> StartOnAFreePortAsync(string data)
    {
        for (var attempt = 1; ; attempt++)
        {
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_HTTP_PORTS"] = Loopback.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["ChatOpsBot__DataDirectory"] = data,
            };
            var host = HostProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "ChatOpsBot.dll")], data, environment);
            try
            {
                await host.ListeningAddress;
                return (host, environment);
            }
            catch (InvalidOperationException) when (attempt < 5 && host.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                host.Dispose();
            }
        }
    }

    /// <summary>Accepts one connection, reads the request head, sends <paramref name="response"/>; the request line.</summary>
    private static async Task<string> AnswerOnceAsync(TcpListener listener, string response)
    {
        using var client = await listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var head = new StringBuilder();
        var buffer = new byte[1024];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
                break;
            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
        return head.ToString().Split("\r\n")[0];
    }

    /// <summary><c>dotnet ChatOpsBot.dll healthcheck</c> with only <paramref name="environment"/> choosing the address.</summary>
    internal static Task<(int Exit, string Output)> RunAsync(Dictionary<string, string> environment) =>
        HostCommand.RunAsync([HealthCheckCommand.Name], environment, AppContext.BaseDirectory);
}
