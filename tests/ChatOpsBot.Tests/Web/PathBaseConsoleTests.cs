using System.Net;
using System.Text.RegularExpressions;
using ChatOpsBot.Features.Web;

namespace ChatOpsBot.Tests.Web;

/// <summary>
/// ChatOpsBot served at https://ota.example.test/bot by a proxy that strips /bot: every link, form and redirect the
/// console writes must lead back under /bot, or the browser leaves the service.
/// </summary>
public sealed partial class PathBaseConsoleTests
{
    [Fact]
    public async Task UnderAPublicBaseUrlWithAPathTheConsolesLinksFormsAndRedirectsStayUnderThatPath()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(new() { ["ChatOpsBot:PublicBaseUrl"] = "https://ota.example.test/bot" }));
        using var loopback = app.CreateLoopbackClient();
        // Cookies by hand: the host sets them for /bot, which is what the browser asks for and the proxy strips.
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = loopback.BaseAddress };
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");

        using var anonymous = await browser.GetAsync("/apps");
        using var signInPage = await browser.GetAsync("/signin");
        var signInHtml = await signInPage.Content.ReadAsStringAsync();
        var antiforgery = signInPage.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).ToList();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent([new("key", ChatOpsBotApplication.AdminKey), new("__antiforgery", ConsoleBrowser.AntiforgeryTokenOf(signInHtml))]),
        };
        post.Headers.Add("Cookie", string.Join("; ", antiforgery));
        using var signedIn = await browser.SendAsync(post);
        var session = signedIn.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith(ConsoleAuthentication.CookieName + "=", StringComparison.Ordinal));
        var pages = new Dictionary<string, string>();
        foreach (var path in new[] { "/", "/apps", "/settings", "/upload", "/subscriptions", "/try" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Cookie", session);
            using var page = await browser.SendAsync(request);
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"{path}: {(int)page.StatusCode}");
            pages[path] = await page.Content.ReadAsStringAsync();
        }
        using var missing = await browser.GetAsync("/no-such-page");
        pages["404"] = await missing.Content.ReadAsStringAsync();
        pages["/signin"] = signInHtml;

        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("https://ota.example.test/bot/signin?returnUrl=%2Fbot%2Fapps", anonymous.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/bot/", signedIn.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        foreach (var (path, html) in pages)
        {
            var local = LocalAddress().Matches(html).Select(m => m.Groups["url"].Value).ToList();
            Assert.True(local.Count > 0, $"{path} has no local links");
            Assert.All(local, url => Assert.True(url.StartsWith("/bot/", StringComparison.Ordinal), $"{path} links to {url}"));
        }
    }

    [GeneratedRegex("""(?:href|action|src)="(?<url>/[^"]*)""")]
    private static partial Regex LocalAddress();
}
