using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Tests;

/// <summary>A key the fake publishes (or not) in its JWKS, with the channels it endorses.</summary>
internal sealed class FakeSigningKey(string kid, params string[] endorsements) : IDisposable
{
    public string Kid { get; } = kid;
    public RSA Rsa { get; } = RSA.Create(2048);
    public string[] Endorsements { get; } = endorsements;

    public void Dispose() => Rsa.Dispose();
}

/// <summary>What the bot posted to the fake Connector.</summary>
internal sealed record ConnectorCall(string RawTarget, string? Authorization, JsonElement Body)
{
    /// <summary>POST for new activities and conversations, PUT for updating an activity.</summary>
    public string Method { get; init; } = "POST";

    /// <summary>The status the fake answered.</summary>
    public int Status { get; init; } = 200;
}

/// <summary>
/// Microsoft's side of a Teams bot on a loopback port: the Bot Connector's OpenID metadata and JWKS (with
/// endorsements), Entra's metadata for Entra-issued tokens, the token endpoint, and a Connector that records posts.
/// </summary>
internal sealed class FakeBotFramework : IAsyncDisposable
{
    public const string AppId = "6f1c2a5e-0b7d-4c1e-9a3f-5d2b8e7c4a10";
    public const string AppPassword = "fake-app-password-0123456789";
    public const string TenantId = "2b4e6a8c-1d3f-4a5b-8c7d-9e0f1a2b3c4d";
    public const string BotId = "28:" + AppId;
    public const string Issuer = "https://api.botframework.com";

    private readonly WebApplication _app;
    private readonly Lock _keysLock = new();
    private int _jwksFetches;
    private int _tokenCount;

    public FakeBotFramework()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/v1/.well-known/openidconfiguration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["jwks_uri"] = BaseUrl + "/v1/.well-known/keys",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        _app.MapGet("/v1/.well-known/keys", () =>
        {
            Interlocked.Increment(ref _jwksFetches);
            return Results.Text(Jwks(withEndorsements: true), "application/json");
        });
        _app.MapGet($"/{TenantId}/v2.0/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = $"https://login.microsoftonline.com/{TenantId}/v2.0",
            ["jwks_uri"] = BaseUrl + "/common/discovery/v2.0/keys",
        }));
        _app.MapGet("/common/discovery/v2.0/keys", () => Results.Text(Jwks(withEndorsements: false), "application/json"));
        _app.MapPost("/{tenant}/oauth2/v2.0/token", async (HttpContext context, string tenant) =>
        {
            var form = await context.Request.ReadFormAsync();
            TokenRequests.Enqueue(form.ToDictionary(f => f.Key, f => f.Value.ToString()).Append(new("tenant", tenant)).ToDictionary());
            if (TokenGate is { } gate)
                await gate.Task;
            var n = Interlocked.Increment(ref _tokenCount);
            return Results.Json(new Dictionary<string, object>
            {
                ["token_type"] = "Bearer",
                ["expires_in"] = TokenLifetimeSeconds,
                ["ext_expires_in"] = TokenLifetimeSeconds,
                ["access_token"] = $"connector-token-{n}",
            });
        });
        _app.MapMethods("/teams/{**rest}", ["POST", "PUT"], async (HttpContext context) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            var call = new ConnectorCall(context.Features.Get<IHttpRequestFeature>()!.RawTarget, context.Request.Headers.Authorization.ToString(), body)
            {
                Method = context.Request.Method,
            };
            var failed = TryTakeFailureFor(call, out var failure) || ConnectorFailures.TryDequeue(out failure);
            if (failed)
                call = call with { Status = failure.Status };
            Posts.Enqueue(call);
            await _posted.Writer.WriteAsync(call);
            Interlocked.Exchange(ref _arrived, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            if (failed)
            {
                if (failure.RetryAfter is { } retryAfter)
                    context.Response.Headers.RetryAfter = retryAfter;
                context.Response.Headers["X-Correlating-OperationId"] = "fake-correlation-id";
                return Results.Json(new { error = new { code = "Throttled", message = "fake failure" } }, statusCode: failure.Status);
            }
            // Updating an activity answers with its id, as the Connector's ResourceResponse.
            if (HttpMethods.IsPut(context.Request.Method))
                return Results.Json(new { id = Uri.UnescapeDataString(context.Request.Path.Value![(context.Request.Path.Value!.LastIndexOf('/') + 1)..]) });
            // Creating a conversation (POST /v3/conversations): the 1:1 chat with the one member, the same one every time.
            if (context.Request.Path.Value!.TrimEnd('/').EndsWith("/v3/conversations", StringComparison.Ordinal))
                return Results.Json(new { id = PersonalConversationId(body.GetProperty("members")[0].GetProperty("id").GetString()!) });
            return Results.Json(new { id = $"1:reply-{Posts.Count}" });
        });
        // A member of a conversation, as the Connector's TeamsChannelAccount: the person's own tenant.
        _app.MapGet("/teams/v3/conversations/{conversationId}/members/{memberId}", (HttpContext context, string conversationId, string memberId) =>
        {
            MemberLookups.Enqueue(context.Features.Get<IHttpRequestFeature>()!.RawTarget);
            if ((MemberLookupStatuses.TryGetValue(memberId, out var failing) ? failing : MemberLookupStatus) is { } status)
                return Results.Json(new { error = new { code = "NotFound", message = "fake failure" } }, statusCode: status);
            return Results.Json(new Dictionary<string, object?>
            {
                ["id"] = memberId,
                ["name"] = "Ada Lovelace",
                ["aadObjectId"] = "0a1b2c3d-0000-4000-8000-00000000ada1",
                ["tenantId"] = MemberTenants.GetValueOrDefault(memberId, TenantId),
                ["userRole"] = "user",
            });
        });
        _app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        ChannelKey = new FakeSigningKey("teams-key", "msteams");
        Published.Add(ChannelKey);
    }

    public string BaseUrl { get; }

    /// <summary>The id of the 1:1 chat the fake Connector creates for a member.</summary>
    public static string PersonalConversationId(string memberId) => "a:personal-" + memberId;

    /// <summary>The Connector's base; the trailing slash is Teams' own habit.</summary>
    public string ServiceUrl => BaseUrl + "/teams/";

    public string MetadataUrl => BaseUrl + "/v1/.well-known/openidconfiguration";

    public string EntraMetadataUrl => $"{BaseUrl}/{TenantId}/v2.0/.well-known/openid-configuration";

    public string LoginUrl => $"{BaseUrl}/{TenantId}/oauth2/v2.0/token";

    public FakeSigningKey ChannelKey { get; }

    /// <summary>The keys the JWKS lists; tests add, remove or replace them.</summary>
    public List<FakeSigningKey> Published { get; } = [];

    public int JwksFetches => Volatile.Read(ref _jwksFetches);

    public ConcurrentQueue<Dictionary<string, string>> TokenRequests { get; } = new();

    public long TokenLifetimeSeconds { get; set; } = 3600;

    /// <summary>When set, the token endpoint holds every request until it completes.</summary>
    public TaskCompletionSource? TokenGate { get; set; }

    public ConcurrentQueue<ConnectorCall> Posts { get; } = new();

    /// <summary>The member lookups the bot made (raw targets); they are not posts.</summary>
    public ConcurrentQueue<string> MemberLookups { get; } = new();

    /// <summary>Each member's own tenant, by member id; the app's tenant when not listed.</summary>
    public ConcurrentDictionary<string, string> MemberTenants { get; } = new();

    /// <summary>When set, member lookups fail with this status.</summary>
    public int? MemberLookupStatus { get; set; }

    /// <summary>When a member is listed, lookups of that member fail with this status: for tests that share one fake.</summary>
    public ConcurrentDictionary<string, int> MemberLookupStatuses { get; } = new(StringComparer.Ordinal);

    /// <summary>Answers the Connector gives, in order, before it starts succeeding.</summary>
    public ConcurrentQueue<(int Status, string? RetryAfter)> ConnectorFailures { get; } = new();

    private readonly Lock _failuresLock = new();
    private readonly List<(Func<ConnectorCall, bool> Match, int Status, string? RetryAfter)> _failuresFor = [];

    /// <summary>The next post that matches fails with this status (once): for tests that share one fake.</summary>
    public void FailNextPost(Func<ConnectorCall, bool> match, int status, string? retryAfter = null)
    {
        lock (_failuresLock)
            _failuresFor.Add((match, status, retryAfter));
    }

    private bool TryTakeFailureFor(ConnectorCall call, out (int Status, string? RetryAfter) failure)
    {
        lock (_failuresLock)
        {
            var at = _failuresFor.FindIndex(f => f.Match(call));
            failure = at < 0 ? default : (_failuresFor[at].Status, _failuresFor[at].RetryAfter);
            if (at >= 0)
                _failuresFor.RemoveAt(at);
            return at >= 0;
        }
    }

    private readonly Channel<ConnectorCall> _posted = Channel.CreateUnbounded<ConnectorCall>();
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The next post the bot makes to the Connector, or a failure after a generous deadline.</summary>
    public async Task<ConnectorCall> NextPostAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _posted.Reader.ReadAsync(deadline.Token);
    }

    /// <summary>
    /// The <paramref name="index"/>th post (from 0) that matches, arrived or still to come: for tests that share one
    /// fake and tell their own posts by conversation. Waits for background work without a fixed sleep.
    /// </summary>
    public async Task<ConnectorCall> PostAsync(Func<ConnectorCall, bool> match, int index = 0)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            // Taken before looking, so a post arriving in between completes it.
            var arrived = Volatile.Read(ref _arrived).Task;
            if (Posts.Where(match).ElementAtOrDefault(index) is { } post)
                return post;
            await arrived.WaitAsync(deadline.Token);
        }
    }

    /// <summary>Settings that point the bot's Teams integration at this fake.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Teams:MicrosoftAppId"] = AppId,
        ["Teams:MicrosoftAppPassword"] = AppPassword,
        ["Teams:MicrosoftAppTenantId"] = TenantId,
        ["Teams:ToBotFromChannelOpenIdMetadataUrl"] = MetadataUrl,
        ["Teams:ToBotFromEntraOpenIdMetadataUrl"] = EntraMetadataUrl,
        ["Teams:ToChannelFromBotLoginUrl"] = LoginUrl,
        ["Teams:RetryBaseDelay"] = "00:00:00.001",
    };

    private string Jwks(bool withEndorsements)
    {
        lock (_keysLock)
        {
            var keys = new JsonArray();
            foreach (var key in Published)
            {
                var parameters = key.Rsa.ExportParameters(false);
                var jwk = new JsonObject
                {
                    ["kty"] = "RSA",
                    ["use"] = "sig",
                    ["kid"] = key.Kid,
                    ["n"] = Base64Url(parameters.Modulus!),
                    ["e"] = Base64Url(parameters.Exponent!),
                };
                if (withEndorsements)
                    jwk["endorsements"] = new JsonArray([.. key.Endorsements.Select(e => (JsonNode)e)]);
                keys.Add(jwk);
            }
            return new JsonObject { ["keys"] = keys }.ToJsonString();
        }
    }

    /// <summary>A Bot Connector token as Azure Bot Service signs it: valid for an hour from <paramref name="now"/>.</summary>
    public string Token(DateTimeOffset now, Action<JsonObject>? change = null, FakeSigningKey? key = null, string? kid = null, string alg = "RS256")
    {
        var payload = new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = AppId,
            ["serviceurl"] = ServiceUrl,
            ["nbf"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["iat"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(55).ToUnixTimeSeconds(),
        };
        change?.Invoke(payload);
        key ??= ChannelKey;
        var header = new JsonObject { ["alg"] = alg, ["typ"] = "JWT", ["kid"] = kid ?? key.Kid };
        var signed = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var hash = alg switch { "RS384" => HashAlgorithmName.SHA384, "RS512" => HashAlgorithmName.SHA512, _ => HashAlgorithmName.SHA256 };
        var signature = key.Rsa.SignData(Encoding.ASCII.GetBytes(signed), hash, RSASignaturePadding.Pkcs1);
        return signed + "." + Base64Url(signature);
    }

    /// <summary>A Teams message to the bot, as the Connector delivers it.</summary>
    public JsonObject Message(string text, string id = "1700000000001", string conversationId = "a:1Xk9-personal;messageid=1700000000001", string? tenantId = TenantId) => new()
    {
        ["type"] = "message",
        ["id"] = id,
        ["timestamp"] = "2026-11-23T09:00:00.000Z",
        ["serviceUrl"] = ServiceUrl,
        ["channelId"] = "msteams",
        ["from"] = new JsonObject { ["id"] = "29:1user-teams-id", ["name"] = "Ada Lovelace", ["aadObjectId"] = "0a1b2c3d-0000-4000-8000-00000000ada1" },
        ["conversation"] = new JsonObject { ["id"] = conversationId, ["conversationType"] = "personal", ["tenantId"] = tenantId },
        ["recipient"] = new JsonObject { ["id"] = BotId, ["name"] = "ChatOpsBot" },
        ["textFormat"] = "plain",
        ["text"] = text,
        ["entities"] = new JsonArray(new JsonObject
        {
            ["type"] = "mention",
            ["mentioned"] = new JsonObject { ["id"] = BotId, ["name"] = "ChatOpsBot" },
            ["text"] = "<at>ChatOpsBot</at>",
        }),
        ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = tenantId } },
    };

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var key in Published.ToList())
            key.Dispose();
    }
}
