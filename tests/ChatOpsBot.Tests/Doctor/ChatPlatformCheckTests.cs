using ChatOpsBot.Core.Doctor;
using ChatOpsBot.Slack;
using ChatOpsBot.Teams;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Doctor;

/// <summary>The checks Slack and Teams add to the doctor, against their loopback fakes.</summary>
public sealed class ChatPlatformCheckTests
{
    private const string BotToken = "xoxb-doctor-bot-token-never-printed";
    private const string SigningSecret = "doctor-signing-secret-never-printed";

    [Fact]
    public async Task SlackBotTokenThatAuthTestAcceptsAndAClockInAgreementAreOk()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        slack.Enqueue("/api/auth.test", new FakeSlackAnswer(200, """{"ok":true,"team":"Example","team_id":"T0EXAMPLE","user":"chatopsbot","user_id":"U0BOT"}"""));
        using var app = SlackHost(slack);
        slack.Date = app.Clock.GetUtcNow().AddSeconds(30);

        var findings = await RunAsync(app);

        Assert.Equal(
            [
                (SlackDoctorCheck.TokenCheck, DoctorVerdict.Ok, "auth.test accepted the bot token: workspace Example (T0EXAMPLE), bot user chatopsbot."),
                (SlackDoctorCheck.ClockCheck, DoctorVerdict.Ok, "within 30 s of Slack's clock."),
            ],
            findings.Select(f => (f.Check, f.Verdict, f.Message)));
        var call = Assert.Single(slack.Calls);
        Assert.Equal(("/api/auth.test", $"Bearer {BotToken}"), (call.Path, call.Authorization));
    }

    [Fact]
    public async Task SlackBotTokenThatAuthTestRefusesIsAProblemAndNoSecretIsPrinted()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        slack.Enqueue("/api/auth.test", FakeSlackAnswer.Error("invalid_auth"));
        using var app = SlackHost(slack);
        slack.Date = app.Clock.GetUtcNow();

        var findings = await RunAsync(app);

        var token = Assert.Single(findings, f => f.Check == SlackDoctorCheck.TokenCheck);
        Assert.Equal(DoctorVerdict.Problem, token.Verdict);
        Assert.StartsWith("auth.test refused the bot token (invalid_auth): set Slack:BotToken", token.Message, StringComparison.Ordinal);
        Assert.All(findings, f => Assert.DoesNotContain(BotToken, f.Message, StringComparison.Ordinal));
        Assert.All(findings, f => Assert.DoesNotContain(SigningSecret, f.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClockTwoMinutesOffSlacksIsAWarningAndSixMinutesAProblem()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        using var app = SlackHost(slack);

        slack.Date = app.Clock.GetUtcNow().AddMinutes(-2);
        var warning = Assert.Single(await RunAsync(app), f => f.Check == SlackDoctorCheck.ClockCheck);
        slack.Date = app.Clock.GetUtcNow().AddMinutes(6);
        var problem = Assert.Single(await RunAsync(app), f => f.Check == SlackDoctorCheck.ClockCheck);

        Assert.Equal(DoctorVerdict.Warning, warning.Verdict);
        Assert.StartsWith("this machine's clock is 120 s ahead of Slack's", warning.Message, StringComparison.Ordinal);
        Assert.Equal(DoctorVerdict.Problem, problem.Verdict);
        Assert.StartsWith("this machine's clock is 360 s behind Slack's, beyond the five minutes", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(60, "Ok")]
    [InlineData(61, "Warning")]
    [InlineData(-300, "Warning")]
    [InlineData(-301, "Problem")]
    [InlineData(301, "Problem")]
    public void ClockSkewIsAWarningBeyondAMinuteAndAProblemBeyondFive(int seconds, string verdict)
    {
        var now = TestCertificates.Now;

        Assert.Equal(Enum.Parse<DoctorVerdict>(verdict), SlackDoctorCheck.Clock(now.AddSeconds(seconds), now).Verdict);
    }

    [Fact]
    public async Task TeamsLoginEndpointThatGivesATokenIsOk()
    {
        await using var teams = new FakeBotFramework();
        using var app = new ChatOpsBotApplication(teams.Settings());

        var finding = Assert.Single(await RunAsync(app));

        Assert.Equal((TeamsDoctorCheck.TokenCheck, DoctorVerdict.Ok), (finding.Check, finding.Verdict));
        var request = Assert.Single(teams.TokenRequests);
        Assert.Equal(("client_credentials", FakeBotFramework.AppId), (request["grant_type"], request["client_id"]));
    }

    [Fact]
    public async Task TeamsLoginEndpointThatGivesNoTokenIsAProblemAndThePasswordIsNotPrinted()
    {
        await using var teams = new FakeBotFramework();
        var settings = teams.Settings();
        settings["Teams:ToChannelFromBotLoginUrl"] = $"{teams.BaseUrl}/{FakeBotFramework.TenantId}/oauth2/v2.0/no-such-endpoint";
        using var app = new ChatOpsBotApplication(settings);

        var finding = Assert.Single(await RunAsync(app));

        Assert.Equal((TeamsDoctorCheck.TokenCheck, DoctorVerdict.Problem), (finding.Check, finding.Verdict));
        Assert.Contains("gave no token (The token endpoint answered 404.)", finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeBotFramework.AppPassword, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutChatPlatformsNothingIsAdded()
    {
        using var app = new ChatOpsBotApplication();

        Assert.Empty(await RunAsync(app));
    }

    private static ChatOpsBotApplication SlackHost(FakeSlackApi slack) => new(new()
    {
        ["Slack:SigningSecret"] = SigningSecret,
        ["Slack:BotToken"] = BotToken,
        ["Slack:ApiBaseUrl"] = slack.ApiBaseUrl,
    });

    private static async Task<List<DoctorFinding>> RunAsync(ChatOpsBotApplication app)
    {
        using var client = app.CreateLoopbackClient();
        await using var scope = app.Services.CreateAsyncScope();
        List<DoctorFinding> findings = [];
        foreach (var check in scope.ServiceProvider.GetServices<IDoctorCheck>())
            findings.AddRange(await check.RunAsync(DoctorContext.WithoutPublicOrigin, CancellationToken.None));
        return findings;
    }
}
