using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Web;

/// <summary>The first run: the set-up address in the log, and what using it does.</summary>
public sealed partial class FirstRunTests
{
    /// <summary>The set-up address the host logged; fails the test unless exactly one was.</summary>
    internal static string SetupAddress(ChatOpsBotApplication app)
    {
        var lines = app.Logs.Where(l => l.Contains("[6700]", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, "set-up address lines: " + string.Join("\n", lines));
        return Address().Match(lines[0]).Groups[1].Value;
    }

    /// <summary>Starts the host on a fresh data directory, uses its set-up address, and leaves the browser signed in as an administrator.</summary>
    internal static async Task<ConsoleBrowser> SetUpAsync(ChatOpsBotApplication app)
    {
        var browser = new ConsoleBrowser(app);
        var path = new Uri(SetupAddress(app)).AbsolutePath;
        using var response = await browser.SubmitAsync(path, []);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"set-up: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("/setup", response.Headers.Location?.OriginalString);
        return browser;
    }

    [Fact]
    public async Task FreshDataDirectoryLogsOneSetUpAddressOnItsOwnOriginAndStoresOnlyItsHash()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        var address = SetupAddress(app);

        Assert.StartsWith(app.PublicBaseUrl + "/setup/", address, StringComparison.Ordinal);
        var code = address[(app.PublicBaseUrl.Length + "/setup/".Length)..];
        Assert.Matches("^[A-Za-z0-9_-]{22}$", code);
        Assert.Single(app.Logs, l => l.StartsWith("Information", StringComparison.Ordinal) && l.Contains("/setup/", StringComparison.Ordinal));
        using (var scope = app.Services.CreateScope())
        {
            var row = await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().SetupCodes.AsNoTracking().SingleAsync();
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code))), row.CodeHash);
            Assert.Equal(app.Clock.GetUtcNow().UtcDateTime.AddHours(24), row.ExpiresAt);
        }
        if (!TestProvider.IsPostgres)
        {
            // Nowhere in the database's files, the write-ahead log included.
            foreach (var file in Directory.EnumerateFiles(app.DataDirectory, "chatopsbot.db*"))
                Assert.DoesNotContain(code, Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);
        }
        var welcome = await browser.GetPageAsync("/");
        Assert.Contains("id=\"setup-pending\"", welcome, StringComparison.Ordinal);
        Assert.DoesNotContain(code, welcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoSetUpAddressWhenAnAdminKeyIsConfigured()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        var welcome = await browser.GetPageAsync("/");

        Assert.DoesNotContain(app.Logs, l => l.Contains("/setup/", StringComparison.Ordinal) || l.Contains("[6701]", StringComparison.Ordinal));
        Assert.DoesNotContain("setup-pending", welcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoSetUpAddressWhenWebAdminsAreConfigured()
    {
        await using var app = new ChatOpsBotApplication(new() { ["Web:Admins:0"] = "U0ADMIN" }, servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        await browser.GetPageAsync("/");

        Assert.DoesNotContain(app.Logs, l => l.Contains("/setup/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARestartBeforeExpirySaysWhereTheAddressIsAndOneAfterExpiryIssuesANewOne()
    {
        var directory = Directory.CreateTempSubdirectory("chatopsbot-test-").FullName;
        try
        {
            string first;
            await using (var app = new ChatOpsBotApplication(servePublicBaseUrl: true, dataDirectory: directory))
            {
                app.CreateLoopbackClient().Dispose();
                first = SetupAddress(app);
            }
            await using (var replica = new ChatOpsBotApplication(servePublicBaseUrl: true, dataDirectory: directory))
            {
                replica.Clock.Advance(TimeSpan.FromHours(23));
                replica.CreateLoopbackClient().Dispose();
                Assert.DoesNotContain(replica.Logs, l => l.Contains("[6700]", StringComparison.Ordinal));
                Assert.Single(replica.Logs, l => l.Contains("[6701]", StringComparison.Ordinal));
            }
            await using (var later = new ChatOpsBotApplication(servePublicBaseUrl: true, dataDirectory: directory))
            {
                later.Clock.Advance(TimeSpan.FromHours(24));
                using var browser = new ConsoleBrowser(later);
                var second = SetupAddress(later);
                Assert.NotEqual(new Uri(first).AbsolutePath, new Uri(second).AbsolutePath);
                using var response = await browser.SubmitAsync(new Uri(second).AbsolutePath, []);
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            TestProvider.RemoveDatabase(directory);
        }
    }

    [Fact]
    public async Task TheAddressSignsInAsAdministratorOnceAndNeverAgain()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = await SetUpAsync(app);
        var path = new Uri(SetupAddress(app)).AbsolutePath;

        var setup = await browser.GetPageAsync("/setup");
        Assert.Contains("id=\"signed-in-as\">setup<", setup, StringComparison.Ordinal);
        Assert.Contains("href=\"/settings\"", setup, StringComparison.Ordinal);
        using var again = await browser.SubmitAsync(path, []);
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        Assert.Contains("id=\"setup-error\"", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var stranger = new ConsoleBrowser(app);
        using var theirs = await stranger.SubmitAsync(path, []);
        Assert.Equal(HttpStatusCode.Gone, theirs.StatusCode);
        Assert.DoesNotContain(stranger.Cookies.GetAllCookies(), c => c.Name == "chatopsbot.console");
        // Used: the welcome page no longer points at the log, and a restart issues no new address.
        Assert.DoesNotContain("setup-pending", await stranger.GetPageAsync("/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpeningTheAddressDoesNotUseIt()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var preview = new ConsoleBrowser(app);
        var path = new Uri(SetupAddress(app)).AbsolutePath;

        await preview.GetPageAsync(path);
        await preview.GetPageAsync(path);

        using var browser = new ConsoleBrowser(app);
        using var response = await browser.SubmitAsync(path, []);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Theory]
    [InlineData(-1, HttpStatusCode.Redirect)]
    [InlineData(0, HttpStatusCode.Gone)]
    public async Task TheAddressWorksUntilTwentyFourHoursHavePassed(int secondsFromExpiry, HttpStatusCode expected)
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        var path = new Uri(SetupAddress(app)).AbsolutePath;

        app.Clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(secondsFromExpiry));
        using var response = await browser.SubmitAsync(path, []);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task TheAddressIsRefusedOverHttpToAVisitorElsewhereAndStaysUnused()
    {
        // A proxy on this machine forwards someone else's request to the loopback http origin.
        await using var app = new ChatOpsBotApplication(new() { ["ChatOpsBot:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" }, servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        var path = new Uri(SetupAddress(app)).AbsolutePath;
        var token = await browser.GetPageAsync("/signin");
        browser.Headers.Add("X-Forwarded-For", "203.0.113.9");

        using var opened = await browser.GetAsync(path);
        using var posted = await browser.PostFormAsync(path, [new("__antiforgery", WebUtility.HtmlDecode(Antiforgery().Match(token).Groups[1].Value))]);

        Assert.Equal(HttpStatusCode.Forbidden, opened.StatusCode);
        Assert.Contains("id=\"setup-error\"", await opened.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, posted.StatusCode);
        Assert.DoesNotContain(browser.Cookies.GetAllCookies(), c => c.Name == "chatopsbot.console");
        browser.Headers.Remove("X-Forwarded-For");
        using var here = await browser.SubmitAsync(path, []);
        Assert.Equal(HttpStatusCode.Redirect, here.StatusCode);
    }

    [Fact]
    public async Task TheAddressWorksOverHttpsFromAnyAddress()
    {
        // The public origin is https (a TLS front): the address travels encrypted, wherever the visitor is.
        await using var app = new ChatOpsBotApplication(new() { ["ChatOpsBot:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" });
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.CreateLoopbackClient().BaseAddress };
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.9");

        using var response = await client.GetAsync(new Uri(SetupAddress(app)).AbsolutePath);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("id=\"setup-start\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownCodeSignsNobodyIn()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        using var response = await browser.SubmitAsync("/setup/AAAAAAAAAAAAAAAAAAAAAA", []);

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.DoesNotContain(browser.Cookies.GetAllCookies(), c => c.Name == "chatopsbot.console");
        using var setup = await browser.GetAsync("/setup");
        Assert.Equal(HttpStatusCode.Redirect, setup.StatusCode);
    }

    [GeneratedRegex(@"open (\S+/setup/\S+) to set ChatOpsBot up")]
    private static partial Regex Address();

    [GeneratedRegex("name=\"__antiforgery\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Antiforgery();
}
