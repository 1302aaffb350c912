using System.Globalization;
using System.Net;

namespace ChatOpsBot.Tests;

/// <summary>Without Slack:AllowedTeamIds the bot serves anyone in a conversation it is in, as it always has.</summary>
public sealed partial class SlackEndToEndTests
{
    [Fact]
    public async Task WithoutAllowedTeamIdsAPersonOfAnotherWorkspaceInASharedChannelIsServed()
    {
        var buildId = await UploadAsync();

        using var mention = await EventAsync(new
        {
            type = "event_callback",
            team_id = "T0WORK",
            event_id = "Ev-shared-anyone",
            authorizations = new[] { new { team_id = "T0WORK", user_id = "U0BOT", is_bot = true } },
            @event = new { type = "app_mention", user = "U0PARTNER", team = "T0PARTNER", user_team = "T0PARTNER", text = "<@U0BOT> install demo beta", ts = "1795424400.000400", channel = "C0SHARED" },
        });
        var answer = await _slack.NextCallAsync();
        using var press = await InteractionAsync(new
        {
            type = "block_actions",
            team = new { id = "T0WORK" },
            user = new { id = "U0PARTNER", username = "partner", team_id = "T0PARTNER" },
            channel = new { id = "C0SHARED" },
            response_url = _slack.ResponseUrl("actions/shared-anyone"),
            actions = new[] { new { type = "button", action_id = "get_link", value = buildId.ToString(CultureInfo.InvariantCulture), action_ts = "1.3" } },
        });
        var pressed = await _slack.NextCallAsync();

        Assert.Equal(HttpStatusCode.OK, mention.StatusCode);
        Assert.Equal("/api/chat.postEphemeral", answer.Path);
        Assert.StartsWith("https://ota.example.test/i/", InstallButton(answer.Json).GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, press.StatusCode);
        Assert.Equal("/hooks/actions/shared-anyone", pressed.Path);
        Assert.StartsWith("https://ota.example.test/i/", InstallButton(pressed.Json).GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, LinkCount());
    }
}
