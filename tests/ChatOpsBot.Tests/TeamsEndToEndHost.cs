using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// One host and one fake Microsoft for the <see cref="TeamsEndToEndTests"/> that need no host of their own. xunit runs
/// a class's tests one at a time, and each test sees the host through its own <see cref="View"/>: a person, chats,
/// channels and an app no other test uses, and only the posts, member lookups and rows of those. The clock never moves
/// here, and the configuration and the published keys never change.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class TeamsEndToEndHost : IAsyncLifetime
{
    private int _tests;

    public TeamsEndToEndHost()
    {
        Microsoft = new FakeBotFramework();
        // Published before the host first reads the keys, so a token it signs is refused for its endorsement alone.
        WebChatKey = new FakeSigningKey("webchat-key", "webchat");
        Microsoft.Published.Add(WebChatKey);
        App = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(Microsoft.Settings()));
        Connector = App.CreateLoopbackClient();
    }

    internal FakeBotFramework Microsoft { get; }

    internal ChatOpsBotApplication App { get; }

    internal HttpClient Connector { get; }

    /// <summary>A key the fake publishes endorsed for Web Chat only, not for Teams.</summary>
    internal FakeSigningKey WebChatKey { get; }

    /// <summary>The host as the next test sees it.</summary>
    internal View NewView() => new(this, Interlocked.Increment(ref _tests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Connector.Dispose();
        await App.DisposeAsync();
        await Microsoft.DisposeAsync();
    }

    /// <summary>One test's person, conversations and app on the shared host, and what the fake received for them.</summary>
    internal sealed class View(TeamsEndToEndHost host, int n)
    {
        private const string Prefix = "/teams/v3/conversations";
        private int _postsRead;

        public FakeBotFramework Microsoft => host.Microsoft;

        public ChatOpsBotApplication App => host.App;

        public HttpClient Connector => host.Connector;

        /// <summary>The app this test uploads to, "install"s and subscribes to.</summary>
        public string Slug { get; } = $"demo-{n}";

        public string UserId { get; } = $"29:1user-teams-id-{n}";

        public string AadObjectId { get; } = $"0a1b2c3d-0000-4000-8000-{n:D12}";

        /// <summary>The 1:1 chat this test's messages come from, unless moved elsewhere.</summary>
        public string PersonalConversation { get; } = $"a:1Xk9-personal-{n};messageid=1700000000001";

        /// <summary>A message in this test's channel (the thread of its first post).</summary>
        public string ChannelThread { get; } = $"19:releases-{n}@thread.tacv2;messageid=1700000000001";

        public string ChannelThreadTarget { get; } = $"/teams/v3/conversations/19%3Areleases-{n}%40thread.tacv2%3Bmessageid%3D1700000000001/activities/1700000000001";

        public string Channel { get; } = $"19:releases-{n}@thread.tacv2";

        public string GroupChat { get; } = $"19:group-chat-{n}@thread.v2";

        public string GroupChatTarget { get; } = $"/teams/v3/conversations/19%3Agroup-chat-{n}%40thread.v2/activities/1700000000001";

        /// <summary>A team the bot is added to.</summary>
        public string General { get; } = $"19:general-{n}@thread.tacv2";

        public string GeneralTarget { get; } = $"/teams/v3/conversations/19%3Ageneral-{n}%40thread.tacv2/activities";

        /// <summary>The 1:1 chat the bot opens with this test's person.</summary>
        public string PrivateChatTarget { get; } = $"/teams/v3/conversations/a%3Apersonal-29%3A1user-teams-id-{n}/activities";

        /// <summary>The bot reading this test's person's member record in this test's channel.</summary>
        public string Lookup { get; } = $"/teams/v3/conversations/19%3Areleases-{n}%40thread.tacv2/members/29%3A1user-teams-id-{n}";

        public string ValidToken() => Microsoft.Token(App.Clock.GetUtcNow());

        /// <summary>A Teams message to the bot from this test's person, in their 1:1 chat.</summary>
        public JsonObject Message(string text, string id = "1700000000001", string? tenantId = FakeBotFramework.TenantId)
        {
            var message = Microsoft.Message(text, id, PersonalConversation, tenantId);
            message["from"] = new JsonObject { ["id"] = UserId, ["name"] = "Ada Lovelace", ["aadObjectId"] = AadObjectId };
            return message;
        }

        /// <summary>The same activity, typed in this test's channel (or a group chat) that everyone in it sees.</summary>
        public JsonObject InChannel(JsonObject activity, string conversationType = "channel", string? conversationId = null)
        {
            activity["conversation"] = new JsonObject
            {
                ["id"] = conversationId ?? ChannelThread,
                ["conversationType"] = conversationType,
                ["isGroup"] = true,
                ["tenantId"] = FakeBotFramework.TenantId,
                ["name"] = "Releases",
            };
            return activity;
        }

        public async Task<HttpResponseMessage> PostActivityAsync(JsonObject activity, string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
            {
                Content = new StringContent(activity.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            };
            if (token is not null)
                request.Headers.Authorization = new("Bearer", token);
            return await Connector.SendAsync(request);
        }

        /// <summary>Uploads a build of this test's app to channel beta; its id and the IPA's bytes.</summary>
        public async Task<(long Id, byte[] Ipa)> UploadAsync(string displayName = "Demo")
        {
            var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));
            builder.Info["CFBundleDisplayName"] = displayName;
            var ipa = builder.Build();
            using var api = App.CreateClient(ChatOpsBotApplication.UploaderKey);
            using var form = new MultipartFormDataContent
            {
                { new StringContent("beta"), "channel" },
                { new StringContent(Slug), "app" },
                { new ByteArrayContent(ipa), "file", "Demo.ipa" },
            };
            using var response = await api.PostAsync("/api/v1/builds", form);
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64(), ipa);
        }

        /// <summary>Uploads a signed APK (com.example.hello) of this test's app; its id and the APK's bytes.</summary>
        public async Task<(long Id, byte[] Apk)> UploadApkAsync(string channel = "beta")
        {
            var apk = await ChatOpsBot.Core.Tests.Builds.Android.TestApks.BuildAsync(new ChatOpsBot.Core.Tests.Builds.Android.TestApkSpec());
            using var api = App.CreateClient(ChatOpsBotApplication.UploaderKey);
            using var form = new MultipartFormDataContent
            {
                { new StringContent(channel), "channel" },
                { new StringContent(Slug), "app" },
                { new ByteArrayContent(apk), "file", "app-release.apk" },
            };
            using var response = await api.PostAsync("/api/v1/builds", form);
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64(), apk);
        }

        /// <summary>
        /// A post to one of this test's conversations, or one opening a 1:1 chat with its person. Posts to other
        /// conversations (another test's, or one nobody named) are not this test's to see.
        /// </summary>
        public bool IsMine(ConnectorCall post)
        {
            if (post.RawTarget == Prefix)
                return post.Body.TryGetProperty("members", out var members)
                    && members.EnumerateArray().Any(m => m.TryGetProperty("id", out var id) && id.GetString() == UserId);
            if (!post.RawTarget.StartsWith(Prefix + "/", StringComparison.Ordinal))
                return false;
            var rest = post.RawTarget[(Prefix.Length + 1)..];
            var end = rest.IndexOf('/', StringComparison.Ordinal);
            var conversation = Uri.UnescapeDataString(end < 0 ? rest : rest[..end]);
            var thread = conversation.IndexOf(";messageid=", StringComparison.OrdinalIgnoreCase);
            conversation = thread < 0 ? conversation : conversation[..thread];
            return conversation == PersonalConversation[..PersonalConversation.IndexOf(';', StringComparison.Ordinal)]
                || conversation == Channel || conversation == GroupChat || conversation == General
                || conversation == FakeBotFramework.PersonalConversationId(UserId);
        }

        /// <summary>The bot's posts to this test's conversations so far, in the order they arrived.</summary>
        public List<ConnectorCall> Posts => [.. Microsoft.Posts.Where(IsMine)];

        /// <summary>The next of this test's posts, waiting (bounded) for it.</summary>
        public Task<ConnectorCall> NextPostAsync() => Microsoft.PostAsync(IsMine, _postsRead++);

        /// <summary>The member lookups the bot made of this test's person.</summary>
        public List<string> MemberLookups =>
            [.. Microsoft.MemberLookups.Where(l => l.EndsWith("/members/" + Uri.EscapeDataString(UserId), StringComparison.Ordinal))];

        /// <summary>The install links minted for builds of this test's app.</summary>
        public async Task<int> InstallLinkCountAsync()
        {
            await using var scope = App.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.CountAsync(l => l.Build.App.Slug == Slug);
        }
    }
}
