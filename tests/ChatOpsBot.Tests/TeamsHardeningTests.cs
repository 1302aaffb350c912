using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// What the outside review sent to /api/messages: Markdown in build metadata and commands, large bodies before and
/// after authentication, people of another tenant in shared channels, invokes and card submits the bot does not handle.
/// </summary>
public sealed partial class TeamsEndToEndTests
{
    private const string EvilLink = "[Click here](https://evil.example)";
    private const string ForeignTenant = "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a";
    private const string AdaUserId = "29:1user-teams-id";
    private const int MaxBodyBytes = 1024 * 1024;

    /// <summary>Every string in a card: texts, facts, titles and values alike.</summary>
    private static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
        JsonValueKind.String => [element.GetString()!],
        _ => [],
    };

    /// <summary>No string of the card forms a Markdown link to the attacker (a "](" is all any renderer needs).</summary>
    private static void AssertNoLinkTo(string host, JsonElement card)
    {
        foreach (var text in Strings(card))
            Assert.DoesNotContain("](https://" + host, text, StringComparison.Ordinal);
    }

    private static IEnumerable<string> MarkdownTexts(JsonElement card) =>
        Strings(card).Where(s => s.Contains("evil", StringComparison.Ordinal));

    [Fact]
    public async Task BuildWhoseDisplayNameIsAMarkdownLinkShowsAsTextInTheInstallCardAndTheBuildsList()
    {
        await UploadSharedAsync(EvilLink);

        using (var response = await _shared.PostActivityAsync(_shared.Message($"<at>ChatOpsBot</at> install {_shared.Slug} beta", id: "1"), _shared.ValidToken()))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var install = Card(await _shared.NextPostAsync());
        using (var response = await _shared.PostActivityAsync(_shared.Message("<at>ChatOpsBot</at> builds", id: "2"), _shared.ValidToken()))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var builds = Card(await _shared.NextPostAsync());

        AssertNoLinkTo("evil.example", install);
        AssertNoLinkTo("evil.example", builds);
        var header = install.GetProperty("body")[0].GetProperty("text").GetString();
        Assert.StartsWith("\\[Click here\\]\\(https://evil.example) ", header, StringComparison.Ordinal);
        Assert.Contains(MarkdownTexts(builds), t => t.StartsWith($"\\[Click here\\]\\(https://evil.example) ({_shared.Slug})", StringComparison.Ordinal));
        // The install button is the bot's own and still leads to the install page.
        Assert.StartsWith("https://ota.example.test/i/", InstallUrl(install), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommandThatIsAMarkdownLinkTypedInAChannelIsEchoedIntoTheChannelAsText()
    {
        using var response = await _shared.PostActivityAsync(_shared.InChannel(_shared.Message("<at>ChatOpsBot</at> [x](https://evil.example)")), _shared.ValidToken());
        var reply = await _shared.NextPostAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_shared.ChannelThreadTarget, reply.RawTarget);
        var card = Card(reply);
        AssertNoLinkTo("evil.example", card);
        Assert.Equal("I don't know \"\\[x\\]\\(https://evil.example)\". Try \"help\" to see what I can do.",
            card.GetProperty("body")[0].GetProperty("text").GetString());
    }

    public enum Framing
    {
        /// <summary>Content-Length says 28 MB; a little is sent and the rest never comes.</summary>
        DeclaredLength,

        /// <summary>Chunked, without a length; a little is sent and the body never ends.</summary>
        Chunked,
    }

    /// <summary>
    /// Posts to /api/messages over a raw loopback socket, so the body can be one that never ends: the headers, then
    /// whatever <paramref name="body"/> writes, while the response is read at the same time. The status of the response.
    /// </summary>
    private async Task<int> RawPostAsync(string? authorization, Framing framing, long declaredLength, Func<Stream, CancellationToken, Task> body)
    {
        var server = _shared.Connector.BaseAddress!;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var head = new StringBuilder()
            .Append("POST /api/messages HTTP/1.1\r\n")
            .Append("Host: ").Append(server.Authority).Append("\r\n")
            .Append("Content-Type: application/json\r\n")
            .Append(framing == Framing.Chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {declaredLength}\r\n");
        if (authorization is not null)
            head.Append("Authorization: ").Append(authorization).Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));

        using var stop = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            try
            {
                await body(stream, stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The server answered and closed, or the test is done.
            }
        });
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var received = new List<byte>();
            var buffer = new byte[4096];
            while (!Encoding.ASCII.GetString([.. received]).Contains("\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, deadline.Token);
                Assert.True(read > 0, "the server closed the connection without an answer");
                received.AddRange(buffer.AsSpan(0, read));
            }
            var statusLine = Encoding.ASCII.GetString([.. received]).Split("\r\n")[0];
            return int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            await stop.CancelAsync();
            tcp.Close();
            await writing;
        }
    }

    /// <summary>Some JSON, then nothing more until the test ends: a body that never ends.</summary>
    private static Func<Stream, CancellationToken, Task> EndlessBody(Framing framing) => async (stream, ct) =>
    {
        var start = Encoding.ASCII.GetBytes("{\"type\":\"message\",\"text\":\"" + new string('x', 64 * 1024));
        await stream.WriteAsync(framing == Framing.Chunked ? Chunk(start) : start, ct);
        await Task.Delay(Timeout.Infinite, ct);
    };

    private static byte[] Chunk(ReadOnlySpan<byte> data) =>
        [.. Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"), .. data, .. "\r\n"u8];

    [Theory]
    [InlineData("Bearer x", Framing.DeclaredLength)]
    [InlineData("Bearer x", Framing.Chunked)]
    [InlineData("forged", Framing.DeclaredLength)]
    [InlineData("forged", Framing.Chunked)]
    [InlineData(null, Framing.Chunked)]
    public async Task UnauthenticatedPostIsRefusedWith401WithoutWaitingForItsBody(string? authorization, Framing framing)
    {
        // A token signed by a key the fake does not publish: well-formed, and only its signature gives it away.
        using var impostor = new FakeSigningKey(_shared.Microsoft.ChannelKey.Kid, "msteams");
        var header = authorization == "forged" ? "Bearer " + _shared.Microsoft.Token(_shared.App.Clock.GetUtcNow(), key: impostor) : authorization;

        var status = await RawPostAsync(header, framing, 28L * 1024 * 1024, EndlessBody(framing));

        Assert.Equal(401, status);
        Assert.Empty(_shared.Posts);
        await AssertOnlyValidMessagesAreAnsweredAsync();
    }

    /// <summary>An activity whose JSON is exactly <paramref name="length"/> bytes long.</summary>
    private byte[] ActivityOfLength(int length)
    {
        var activity = _shared.Message("<at>ChatOpsBot</at> help", id: "1700000000777");
        activity["padding"] = "";
        var padding = length - Encoding.UTF8.GetByteCount(activity.ToJsonString());
        activity["padding"] = new string('p', padding);
        var json = Encoding.UTF8.GetBytes(activity.ToJsonString());
        Assert.Equal(length, json.Length);
        return json;
    }

    [Fact]
    public async Task AuthenticatedActivityOfExactlyOneMegabyteIsAnswered()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = new ByteArrayContent(ActivityOfLength(MaxBodyBytes)) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Authorization = new("Bearer", _shared.ValidToken());

        using var response = await _shared.Connector.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("/activities/1700000000777", (await _shared.NextPostAsync()).RawTarget, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Framing.DeclaredLength)]
    [InlineData(Framing.Chunked)]
    public async Task AuthenticatedActivityOverOneMegabyteIsRefusedWith413AndNothingIsPosted(Framing framing)
    {
        var json = ActivityOfLength(MaxBodyBytes + 1);

        var status = await RawPostAsync("Bearer " + _shared.ValidToken(), framing, json.Length, async (stream, ct) =>
        {
            if (framing == Framing.DeclaredLength)
            {
                await stream.WriteAsync(json, ct);
            }
            else
            {
                for (var at = 0; at < json.Length; at += 64 * 1024)
                    await stream.WriteAsync(Chunk(json.AsSpan(at, Math.Min(64 * 1024, json.Length - at))), ct);
                await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), ct);
            }
            await Task.Delay(Timeout.Infinite, ct);
        });

        Assert.Equal(413, status);
        Assert.Empty(_shared.Posts);
        await AssertOnlyValidMessagesAreAnsweredAsync();
    }

    [Fact]
    public async Task PersonOfAnotherTenantInASharedChannelIsToldPolitelyAndNothingIsRun()
    {
        await UploadSharedAsync();
        _shared.Microsoft.MemberTenants[_shared.UserId] = ForeignTenant;

        using var response = await _shared.PostActivityAsync(_shared.InChannel(_shared.Message($"<at>ChatOpsBot</at> install {_shared.Slug} beta")), _shared.ValidToken());
        var reply = await _shared.NextPostAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_shared.ChannelThreadTarget, reply.RawTarget);
        Assert.Equal(ChatReply.OutsideOrganisation().Text, Card(reply).GetProperty("body")[0].GetProperty("text").GetString());
        Assert.Equal([_shared.Lookup], _shared.MemberLookups);
        Assert.Equal(0, await _shared.InstallLinkCountAsync());
        await AssertOnlyValidMessagesAreAnsweredAsync(earlierPosts: 1);
        Assert.DoesNotContain(_shared.Posts, p => p.RawTarget == "/teams/v3/conversations");
    }

    [Fact]
    public async Task SubscribeTypedByAPersonOfAnotherTenantSubscribesNothing()
    {
        await UploadSharedAsync();
        _shared.Microsoft.MemberTenants[_shared.UserId] = ForeignTenant;

        using var response = await _shared.PostActivityAsync(_shared.InChannel(_shared.Message($"<at>ChatOpsBot</at> subscribe {_shared.Slug} beta")), _shared.ValidToken());
        var reply = await _shared.NextPostAsync();

        Assert.Contains("organisation that runs me", Card(reply).GetRawText(), StringComparison.Ordinal);
        await using var scope = _shared.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        // Nothing of this test's app or channel, in either form of the channel's id.
        string[] channel = [_shared.Channel, _shared.ChannelThread];
        Assert.Empty(db.Subscriptions.AsNoTracking().Where(s => s.App.Slug == _shared.Slug || channel.Contains(s.ConversationId)));
        Assert.Empty(db.TeamsConversations.AsNoTracking().Where(c => channel.Contains(c.ConversationId)));
    }

    [Fact]
    public async Task GetLinkPressedInASharedChannelByAPersonOfAnotherTenantIsAnsweredWithTheRefusalAndMintsNothing()
    {
        var buildId = await UploadSharedAsync();
        _shared.Microsoft.MemberTenants[_shared.UserId] = ForeignTenant;

        using var response = await _shared.PostActivityAsync(_shared.InChannel(GetLinkInvoke(buildId)), _shared.ValidToken());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.microsoft.activity.message", body.GetProperty("type").GetString());
        Assert.Equal(ChatReply.OutsideOrganisation().Text, body.GetProperty("value").GetString());
        Assert.Equal(0, await _shared.InstallLinkCountAsync());
        await AssertOnlyValidMessagesAreAnsweredAsync();
    }

    [Fact]
    public async Task SubmittedGetLinkFromAPersonOfAnotherTenantIsRefusedAndMintsNothing()
    {
        var buildId = await UploadSharedAsync();
        _shared.Microsoft.MemberTenants[_shared.UserId] = ForeignTenant;
        var submit = _shared.InChannel(_shared.Message(""), "groupChat", _shared.GroupChat);
        submit["value"] = new JsonObject { ["action"] = "get_link", ["value"] = buildId.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        using var response = await _shared.PostActivityAsync(submit, _shared.ValidToken());
        var reply = await _shared.NextPostAsync();

        Assert.Equal(_shared.GroupChatTarget, reply.RawTarget);
        Assert.Contains("organisation that runs me", Card(reply).GetRawText(), StringComparison.Ordinal);
        Assert.Equal(0, await _shared.InstallLinkCountAsync());
    }

    [Fact]
    public async Task PersonWhoseTenantCannotBeReadIsNotServed()
    {
        await UploadSharedAsync();
        _shared.Microsoft.MemberLookupStatuses[_shared.UserId] = 404;

        using var response = await _shared.PostActivityAsync(_shared.InChannel(_shared.Message($"<at>ChatOpsBot</at> install {_shared.Slug} beta")), _shared.ValidToken());
        var reply = await _shared.NextPostAsync();

        Assert.Equal(_shared.ChannelThreadTarget, reply.RawTarget);
        Assert.Contains("couldn't check which organisation you belong to", Card(reply).GetProperty("body")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await _shared.InstallLinkCountAsync());
    }

    [Fact]
    public async Task PersonNamingAnotherTenantInTheirActivityIsRefusedEvenInAPersonalChat()
    {
        await UploadSharedAsync();
        var message = _shared.Message($"<at>ChatOpsBot</at> install {_shared.Slug} beta");
        message["from"]!["tenantId"] = ForeignTenant;

        using var response = await _shared.PostActivityAsync(message, _shared.ValidToken());
        var reply = await _shared.NextPostAsync();

        Assert.Contains("organisation that runs me", Card(reply).GetRawText(), StringComparison.Ordinal);
        Assert.Empty(_shared.MemberLookups);
        Assert.Equal(0, await _shared.InstallLinkCountAsync());
    }

    [Fact]
    public async Task PersonOfATenantListedInAllowedTenantIdsIsServedInASharedChannel()
    {
        // A fake and a host of its own, configured to serve a second tenant.
        var settings = ChatOpsBotApplication.WithApiKeys(_microsoft.Settings());
        settings["Teams:AllowedTenantIds:0"] = FakeBotFramework.TenantId;
        settings["Teams:AllowedTenantIds:1"] = ForeignTenant;
        await using var partnered = new ChatOpsBotApplication(settings);
        using var connector = partnered.CreateLoopbackClient();
        await UploadAsync(partnered, "Demo");
        _microsoft.MemberTenants[AdaUserId] = ForeignTenant;

        using var response = await PostActivityAsync(connector, Elsewhere(_microsoft.Message("<at>ChatOpsBot</at> install demo beta")),
            _microsoft.Token(partnered.Clock.GetUtcNow()));
        var create = await _microsoft.NextPostAsync();
        var link = await _microsoft.NextPostAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertLinkWentToThePrivateChat(create, link, AdaUserId, PersonalChatTarget);
        Assert.Equal(["/teams/v3/conversations/19%3Areleases%40thread.tacv2/members/29%3A1user-teams-id"], _microsoft.MemberLookups);
    }

    [Fact]
    public async Task ColleagueInAChannelIsServedAfterTheirTenantIsRead()
    {
        await UploadSharedAsync();

        using var response = await _shared.PostActivityAsync(_shared.InChannel(_shared.Message($"<at>ChatOpsBot</at> install {_shared.Slug} beta")), _shared.ValidToken());
        var create = await _shared.NextPostAsync();
        var link = await _shared.NextPostAsync();

        AssertLinkWentToThePrivateChat(create, link);
        Assert.Equal([_shared.Lookup], _shared.MemberLookups);
        Assert.Equal(1, await _shared.InstallLinkCountAsync());
    }

    [Theory]
    [InlineData("composeExtension/query")]
    [InlineData("task/fetch")]
    [InlineData("signin/verifyState")]
    [InlineData(null)]
    public async Task InvokesTheBotDoesNotHandleAreAnswered501AndNothingIsPosted(string? name)
    {
        var invoke = _shared.Message("");
        invoke["type"] = "invoke";
        invoke["name"] = name;
        invoke["value"] = new JsonObject { ["commandId"] = "search", ["parameters"] = new JsonArray() };

        using var response = await _shared.PostActivityAsync(invoke, _shared.ValidToken());

        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        Assert.Empty(_shared.Posts);
        await AssertOnlyValidMessagesAreAnsweredAsync();
    }

    [Theory]
    [InlineData("{\"comment\":\"looks good\"}")]
    [InlineData("{\"action\":\"get_link\"}")]
    [InlineData("{\"msteams\":{\"type\":\"messageBack\"},\"id\":7}")]
    [InlineData("\"just a string\"")]
    public async Task CardSubmitWithoutTheBotsActionFieldsIsIgnored(string value)
    {
        var submit = _shared.InChannel(_shared.Message(""));
        submit["value"] = JsonNode.Parse(value);

        using var response = await _shared.PostActivityAsync(submit, _shared.ValidToken());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertOnlyValidMessagesAreAnsweredAsync();
    }
}
