using System.Net;
using System.Text.RegularExpressions;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Web;

/// <summary>
/// The console's cookies are sealed with Data Protection keys that outlive the host and that every replica shares:
/// files in the data directory on SQLite, rows in the database on PostgreSQL.
/// </summary>
public sealed partial class ConsoleKeysTests
{
    [Fact]
    public async Task SessionAndFormIssuedByOneHostAreAcceptedByTheNextOnTheSameData()
    {
        var directory = Directory.CreateTempSubdirectory("chatopsbot-test-").FullName;
        try
        {
            Cookie session, antiforgery;
            string token;
            await using (var first = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true, dataDirectory: directory))
            {
                using var browser = new ConsoleBrowser(first);
                await browser.SignInWithKeyAsync(ChatOpsBotApplication.AdminKey);
                token = WebUtility.HtmlDecode(Antiforgery().Match(await browser.GetPageAsync("/settings")).Groups[1].Value);
                var cookies = browser.Cookies.GetAllCookies();
                session = cookies.Single(c => c.Name == "chatopsbot.console");
                antiforgery = cookies.Single(c => c.Name == "chatopsbot.antiforgery");
                if (TestProvider.IsPostgres)
                {
                    using var scope = first.Services.CreateScope();
                    Assert.NotEmpty(await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().DataProtectionKeys.ToListAsync());
                }
                else
                {
                    Assert.NotEmpty(Directory.GetFiles(Path.Combine(directory, "keys"), "key-*.xml"));
                }
            }

            // Another process, as a restarted host or a replica behind the same proxy would be.
            await using var second = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true, dataDirectory: directory);
            using var again = new ConsoleBrowser(second);
            again.Cookies.Add(again.BaseAddress, new Cookie(session.Name, session.Value));
            again.Cookies.Add(again.BaseAddress, new Cookie(antiforgery.Name, antiforgery.Value));

            Assert.Contains("id=\"signed-in-as\">ops<", await again.GetPageAsync("/settings"), StringComparison.Ordinal);
            using var posted = await again.PostFormAsync("/settings?handler=Create", [new("name", "nightly"), new("role", "Uploader"), new("__antiforgery", token)]);
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            Assert.Contains("id=\"new-key\"", await posted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            TestProvider.RemoveDatabase(directory);
        }
    }

    [Fact]
    public async Task HostsOnOtherDataDoNotAcceptEachOthersSessions()
    {
        await using var first = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(first);
        await browser.SignInWithKeyAsync(ChatOpsBotApplication.AdminKey);
        var session = browser.Cookies.GetAllCookies().Single(c => c.Name == "chatopsbot.console");

        await using var other = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var stranger = new ConsoleBrowser(other);
        stranger.Cookies.Add(stranger.BaseAddress, new Cookie(session.Name, session.Value));

        using var response = await stranger.GetAsync("/settings");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Fact]
    public async Task HangfireDashboardTakesAnAdminsConsoleSession()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var admin = new ConsoleBrowser(app);
        admin.SignInAs(new Features.Web.ConsoleIdentity("slack", "T0001", "U0ADMIN", "Grace", Features.Web.ConsoleRole.Admin));
        using var manager = new ConsoleBrowser(app);
        manager.SignInAs(ConsoleBrowser.SlackPerson(Features.Web.ConsoleRole.ReleaseManager));

        Assert.Contains("href=\"/hangfire\"", await admin.GetPageAsync("/settings"), StringComparison.Ordinal);
        using var dashboard = await admin.GetAsync("/hangfire");
        using var refused = await manager.GetAsync("/hangfire");

        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
        Assert.DoesNotContain("Hangfire", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"__antiforgery\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Antiforgery();
}
