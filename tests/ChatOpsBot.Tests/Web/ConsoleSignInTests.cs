using System.Net;

namespace ChatOpsBot.Tests.Web;

public sealed class ConsoleSignInTests
{
    [Fact]
    public async Task AnonymousVisitorGetsTheWelcomePageWithItsSecurityPolicy()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        using var response = await browser.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Sign in", html, StringComparison.Ordinal);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.StartsWith("default-src 'none';", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        var nonce = System.Text.RegularExpressions.Regex.Match(policy, "'nonce-([^']+)'").Groups[1].Value;
        Assert.Contains($"<style nonce=\"{nonce}\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace(browser.BaseAddress.ToString().TrimEnd('/'), "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminKeySignsInWithAnHttpOnlyLaxSessionCookie()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        using var response = await browser.SubmitAsync("/signin?returnUrl=%2Fdenied", [new("key", ChatOpsBotApplication.AdminKey)]);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/denied", response.Headers.Location?.OriginalString);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("chatopsbot.console=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        var home = await browser.GetPageAsync("/");
        Assert.Contains("id=\"signed-in-as\">ops<", home, StringComparison.Ordinal);
        Assert.Contains("href=\"/settings\"", home, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ChatOpsBotApplication.UploaderKey)]
    [InlineData(ChatOpsBotApplication.ReleaseManagerKey)]
    [InlineData("not-a-key-of-this-host")]
    public async Task KeysOtherThanAdminKeysDoNotSignIn(string key)
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        using var response = await browser.SubmitAsync("/signin", [new("key", key)]);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("id=\"sign-in-error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith("chatopsbot.console=", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    public async Task SignInNeverRedirectsOffThisOrigin(string returnUrl)
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        using var response = await browser.SubmitAsync("/signin?returnUrl=" + Uri.EscapeDataString(returnUrl), [new("key", ChatOpsBotApplication.AdminKey)]);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task FormPostedWithoutItsAntiforgeryTokenIsRefusedAndSignsNobodyIn()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        using var response = await browser.PostFormAsync("/signin", [new("key", ChatOpsBotApplication.AdminKey)]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(browser.Cookies.GetAllCookies(), c => c.Name == "chatopsbot.console");
    }

    [Fact]
    public async Task SessionAndAntiforgeryCookiesAreSecureWhenThePublicOriginIsHttps()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys());
        // Kestrel here is plain http behind where the TLS front would be: the cookies are carried by hand, as the
        // browser on the https origin would.
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.CreateLoopbackClient().BaseAddress };
        using var form = await client.GetAsync("/signin");
        var antiforgery = form.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("chatopsbot.antiforgery=", StringComparison.Ordinal));
        var token = System.Text.RegularExpressions.Regex.Match(await form.Content.ReadAsStringAsync(), "name=\"__antiforgery\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent([new("key", ChatOpsBotApplication.AdminKey), new("__antiforgery", WebUtility.HtmlDecode(token))]),
        };
        post.Headers.Add("Cookie", antiforgery.Split(';')[0]);

        using var response = await client.SendAsync(post);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("https://ota.example.test/", response.Headers.Location?.IsAbsoluteUri == true ? response.Headers.Location.ToString() : "https://ota.example.test" + response.Headers.Location);
        Assert.Contains("secure", antiforgery, StringComparison.OrdinalIgnoreCase);
        var session = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("chatopsbot.console=", StringComparison.Ordinal));
        Assert.Contains("secure", session, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SignOutEndsTheSession()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        await browser.SignInWithKeyAsync(ChatOpsBotApplication.AdminKey);

        using var response = await browser.SubmitAsync("/", [], action: "/signout");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("signed-in-as", await browser.GetPageAsync("/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsolePageRedirectsAnonymousVisitorToSignInAndBack()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        using var response = await browser.GetAsync("/denied");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin?returnUrl=%2Fdenied", response.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task MemberIsSentToTheDeniedPageForAnAdminPage()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson());

        var home = await browser.GetPageAsync("/");
        Assert.Contains("id=\"signed-in-as\">Ada<", home, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/settings\"", home, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/upload\"", home, StringComparison.Ordinal);
        using var denied = await browser.GetAsync("/denied");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
    }
}
