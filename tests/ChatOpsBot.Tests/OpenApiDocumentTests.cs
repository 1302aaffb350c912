using System.Net;
using System.Text.Json;

namespace ChatOpsBot.Tests;

public sealed class OpenApiDocumentTests
{
    [Fact]
    public async Task OpenApiServerIsThePublicBaseUrlWhateverHostTheRequestNames()
    {
        using var app = new ChatOpsBotApplication();
        using var client = app.CreateLoopbackClient();

        var bodies = new List<string>();
        foreach (var host in new[] { "evil.example", "other.example:8443" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
            request.Headers.Host = host;
            request.Headers.Add("X-Forwarded-Host", host);
            request.Headers.Add("X-Forwarded-Proto", "http");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        var document = JsonDocument.Parse(bodies[0]).RootElement;
        var server = Assert.Single(document.GetProperty("servers").EnumerateArray());
        Assert.Equal(ChatOpsBotApplication.DefaultPublicBaseUrl, server.GetProperty("url").GetString());
        Assert.DoesNotContain("evil.example", bodies[0], StringComparison.Ordinal);
        Assert.Equal(bodies[0], bodies[1]);
        Assert.StartsWith("3.1", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
    }
}
