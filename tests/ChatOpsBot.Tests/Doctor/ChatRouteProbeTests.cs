using System.Security.Cryptography.X509Certificates;
using ChatOpsBot.Core.Doctor;
using ChatOpsBot.Data;
using ChatOpsBot.Slack;
using ChatOpsBot.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOpsBot.Tests.Doctor;

/// <summary>
/// The doctor sends what Slack and Teams send to the host's request URLs through <c>PublicBaseUrl</c>: a TLS front at
/// https://chatops.test:{port} proxying to the real host, faithfully or as misconfigured proxies do.
/// </summary>
public sealed class ChatRouteProbeTests : IDisposable
{
    private const string SigningSecret = "route-probe-signing-secret-never-printed";
    private readonly X509Certificate2 _ca = TestCertificates.Authority("Test Public Root CA");
    private readonly X509Certificate2 _certificate;

    public ChatRouteProbeTests() => _certificate = TestCertificates.Server(DoctorSite.Host, _ca);

    public void Dispose()
    {
        _certificate.Dispose();
        _ca.Dispose();
    }

    [Fact]
    public async Task SlackRequestUrlsThatReachTheHostIntactAreOkAndNothingIsStored()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        await using var site = await SiteAsync(ProxyFault.None, SlackSettings(slack));

        var findings = await site.RunDoctorAsync();

        var finding = Assert.Single(findings, f => f.Check == SlackDoctorCheck.RequestUrlsCheck);
        Assert.Equal(DoctorVerdict.Ok, finding.Verdict);
        var origin = site.Origin;
        Assert.StartsWith($"{origin}/slack/commands, {origin}/slack/interactions, {origin}/slack/events reach ChatOpsBot", finding.Message, StringComparison.Ordinal);
        Assert.Equal(["POST /slack/commands", "POST /slack/interactions", "POST /slack/events"], site.Proxy.Paths.Where(p => p.StartsWith("POST", StringComparison.Ordinal)));
        Assert.All(findings, f => Assert.DoesNotContain(SigningSecret, f.Message, StringComparison.Ordinal));
        await using var scope = site.App.Services.CreateAsyncScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().ChatEventClaims.CountAsync());
    }

    [Fact]
    public async Task AProxyThatDoesNotRouteSlackIsAProblemForEachRequestUrl()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        await using var site = await SiteAsync(ProxyFault.NotRoutingChatPlatforms, SlackSettings(slack));

        var findings = (await site.RunDoctorAsync()).Where(f => f.Check == SlackDoctorCheck.RequestUrlsCheck).ToList();

        Assert.Equal(3, findings.Count);
        Assert.All(findings, f => Assert.Equal(DoctorVerdict.Problem, f.Verdict));
        Assert.Contains("/slack/commands answered 404 instead of 401", findings[0].Message, StringComparison.Ordinal);
        Assert.Contains("/slack/interactions answered 404", findings[1].Message, StringComparison.Ordinal);
        Assert.Contains("/slack/events answered 404 instead of 200 with the challenge", findings[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProxyThatDropsSlacksSignatureHeadersIsAProblemForTheEventsUrl()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        await using var site = await SiteAsync(ProxyFault.StripsSlackSignature, SlackSettings(slack));

        var findings = (await site.RunDoctorAsync()).Where(f => f.Check == SlackDoctorCheck.RequestUrlsCheck).ToList();

        // Unsigned requests are refused either way; the signed verification is what shows the headers missing.
        var finding = Assert.Single(findings);
        Assert.Equal(DoctorVerdict.Problem, finding.Verdict);
        Assert.Contains("/slack/events answered 401 instead of 200 with the challenge", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TeamsMessagingEndpointThatReachesTheHostIsOkAndOneThatDoesNotIsAProblem()
    {
        await using var teams = new FakeBotFramework();
        await using (var site = await SiteAsync(ProxyFault.None, teams.Settings()))
        {
            var finding = Assert.Single(await site.RunDoctorAsync(), f => f.Check == TeamsDoctorCheck.EndpointCheck);
            Assert.Equal((DoctorVerdict.Ok, $"{site.Origin}/api/messages reaches ChatOpsBot: it is the Azure Bot's messaging endpoint."), (finding.Verdict, finding.Message));
        }
        await using (var site = await SiteAsync(ProxyFault.NotRoutingChatPlatforms, teams.Settings()))
        {
            var finding = Assert.Single(await site.RunDoctorAsync(), f => f.Check == TeamsDoctorCheck.EndpointCheck);
            Assert.Equal(DoctorVerdict.Problem, finding.Verdict);
            Assert.Contains("/api/messages answered 404 instead of 401", finding.Message, StringComparison.Ordinal);
        }
    }

    private static Dictionary<string, string?> SlackSettings(FakeSlackApi slack) => new()
    {
        ["Slack:SigningSecret"] = SigningSecret,
        ["Slack:BotToken"] = "xoxb-route-probe",
        ["Slack:ApiBaseUrl"] = slack.ApiBaseUrl,
    };

    private Task<DoctorSite> SiteAsync(ProxyFault fault, Dictionary<string, string?> settings) =>
        DoctorSite.StartAsync(_certificate, _ca, fault, settings);
}
