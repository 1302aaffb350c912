using System.Net;
using System.Net.Http.Headers;

namespace ChatOpsBot.Tests.Web;

public sealed class ErrorPageTests
{
    [Fact]
    public async Task BrowserAskingForAnUnknownAddressGetsAPageAndProgramsAProblem()
    {
        await using var app = new ChatOpsBotApplication();
        using var client = app.CreateLoopbackClient();

        using var forPerson = new HttpRequestMessage(HttpMethod.Get, "/no-such-page");
        forPerson.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        using var page = await client.SendAsync(forPerson);
        using var problem = await client.GetAsync("/no-such-page");
        using var apiForBrowser = new HttpRequestMessage(HttpMethod.Get, "/api/v1/no-such-thing");
        apiForBrowser.Headers.Accept.ParseAdd("text/html");
        using var api = await client.SendAsync(apiForBrowser);

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("This page does not exist", html, StringComparison.Ordinal);
        var nonce = System.Text.RegularExpressions.Regex.Match(page.Headers.GetValues("Content-Security-Policy").Single(), "'nonce-([^']+)'").Groups[1].Value;
        Assert.Contains($"<style nonce=\"{nonce}\">", html, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), (problem.StatusCode, problem.Content.Headers.ContentType?.MediaType));
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), (api.StatusCode, api.Content.Headers.ContentType?.MediaType));
    }

    [Fact]
    public async Task FormSentWithoutItsAntiforgeryTokenFromABrowserGetsAPageSayingToTryAgain()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var client = app.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent([new("key", ChatOpsBotApplication.AdminKey)]),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("reload the page and try again", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Set-Cookie") && response.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith("chatopsbot.console=", StringComparison.Ordinal)));
    }
}
