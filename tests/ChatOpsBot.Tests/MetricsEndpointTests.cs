using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ChatOpsBot.Tests;

/// <summary>Prometheus scraping at /metrics: off by default, and when on only for Admin API keys and the allowed networks.</summary>
public sealed class MetricsEndpointTests
{
    private static ChatOpsBotApplication Host(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?> { ["ChatOpsBot:Metrics:Prometheus"] = "true" };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(settings));
    }

    [Fact]
    public async Task MetricsAnswerAnAdminKeyWithPrometheusTextHoldingTheProductCounters()
    {
        using var app = Host();
        await app.UploadDemoAsync();
        using var admin = app.CreateClient(ChatOpsBotApplication.AdminKey);

        using var response = await admin.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
        Assert.Contains("# TYPE chatopsbot_builds_uploaded", text, StringComparison.Ordinal);
        Assert.Contains("chatopsbot_builds_uploaded_total{", text, StringComparison.Ordinal);
        Assert.Contains("platform=\"ios\"", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("not-a-key-of-this-host-0123", HttpStatusCode.Unauthorized)]
    [InlineData(ChatOpsBotApplication.UploaderKey, HttpStatusCode.Forbidden)]
    [InlineData(ChatOpsBotApplication.ReleaseManagerKey, HttpStatusCode.Forbidden)]
    public async Task MetricsRefuseAnythingButAnAdminKeyWithAProblemDocument(string? key, HttpStatusCode expected)
    {
        using var app = Host();
        using var client = key is null ? app.CreateLoopbackClient() : app.CreateClient(key);

        using var response = await client.GetAsync("/metrics");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.Contains("Admin", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Equal(expected == HttpStatusCode.Unauthorized, response.Headers.WwwAuthenticate.Any(h => h.Scheme == "Bearer"));
    }

    [Fact]
    public async Task MetricsAnswerWithoutAKeyFromAnAllowedNetwork()
    {
        using var app = Host(new() { ["ChatOpsBot:Metrics:AllowedNetworks:0"] = "10.0.0.0/8", ["ChatOpsBot:Metrics:AllowedNetworks:1"] = "127.0.0.0/8" });
        using var client = app.CreateLoopbackClient();

        using var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task MetricsFromANetworkNotAllowedNeedAKey()
    {
        using var app = Host(new() { ["ChatOpsBot:Metrics:AllowedNetworks:0"] = "10.0.0.0/8" });
        using var client = app.CreateLoopbackClient();

        using var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task MetricsAreNotServedUnlessPrometheusIsTurnedOn()
    {
        using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys());
        using var admin = app.CreateClient(ChatOpsBotApplication.AdminKey);

        using var response = await admin.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("10.0.0.5/8", "has bits set beyond its /8 prefix")]
    [InlineData("10.0.0.0", "is not a network in CIDR notation")]
    public async Task AllowedNetworkThatIsNotACidrStopsTheHostNamingTheKey(string value, string message)
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new()
        {
            ["ChatOpsBot__Metrics__Prometheus"] = "true",
            ["ChatOpsBot__Metrics__AllowedNetworks__0"] = value,
        });

        Assert.Equal(1, exit);
        Assert.Contains("ChatOpsBot:Metrics:AllowedNetworks:0", output, StringComparison.Ordinal);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.StartsWith("ChatOpsBot cannot start:", output.TrimStart(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
